"""The `kiosk` command with the disk-space probe reporting KIOSK_TEST_FREE_BYTES free bytes: a full
disk, simulated for the subprocess tests (the `kiosk_cli` fixture's `free_bytes=`). Test-only:
the kiosk itself reads no such variable."""

from __future__ import annotations

import os

from kiosk.__main__ import main
from kiosk.maintenance import facts

if __name__ == "__main__":
    free = int(os.environ["KIOSK_TEST_FREE_BYTES"])
    facts.free_bytes = lambda _folder: free
    main()
