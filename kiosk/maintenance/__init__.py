"""Safe maintenance of a kiosk database: pre-flight checks, verified backups,
restore, post-migration validation, run records, stats and alerts.

Kept free of Textual; the TUI imports `presence.announce` and
`alerts.collect_alerts` from here.
"""

from ..errors import ErrorCode, KioskError


class Refused(KioskError):
    """A pre-flight check said no; nothing was changed."""

    exit_code = 3
    code = ErrorCode.PREFLIGHT_REFUSED
