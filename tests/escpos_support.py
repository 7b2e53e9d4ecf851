"""Stand-ins for a receipt printer, and a reader of what was sent to one.

- `decode(data)`: ESC/POS bytes -> the text printed (control sequences taken out, each run of text
  decoded in the code page the stream selected) and what else was asked: cuts, drawer kicks,
  status queries. An unknown control sequence fails the test: nothing goes unread.
- `FakePrinter`: a TCP listener on 127.0.0.1 standing in for a network printer (port 9100 on a real
  one). It answers the paper-status query (DLE EOT 4) as an Epson-type printer does, and can be
  told to refuse connections, to stall (accept and never read nor answer) or to be out of paper.
"""

from __future__ import annotations

import codecs
import socket
import threading
from dataclasses import dataclass, field

ESC, GS, DLE = 0x1B, 0x1D, 0x10
PAPER_OK, NO_PAPER = 0x12, 0x72  # python-escpos's RT_MASK_PAPER / RT_MASK_NOPAPER
# ESC x n with one argument byte: code page, feed, alignment, emphasis, underline, print mode, font.
ESC_ONE = {ord("t"), ord("d"), ord("a"), ord("E"), ord("-"), ord("!"), ord("M"), ord("G"), ord("{"), ord("J")}


@dataclass
class Decoded:
    text: str = ""
    cuts: int = 0
    kicks: list[int] = field(default_factory=list)  # the pin of each ESC p
    status_queries: list[int] = field(default_factory=list)  # n of each DLE EOT n
    inits: int = 0

    @property
    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.text.split("\n")]


def _codec(page: int) -> str:
    from escpos.capabilities import get_profile

    name = get_profile().profile_data["codePages"][str(page)]
    return codecs.lookup(name).name


def decode(data: bytes) -> Decoded:
    out = Decoded()
    page, i, run = 0, 0, bytearray()

    def flush():
        out.text += bytes(run).decode(_codec(page))
        run.clear()

    while i < len(data):
        b = data[i]
        if b == ESC:
            flush()
            cmd = data[i + 1]
            if cmd == ord("@"):
                out.inits += 1
                i += 2
            elif cmd == ord("p"):  # ESC p m t1 t2: the drawer kick pulse
                out.kicks.append(2 if data[i + 2] in (0, 48) else 5)
                i += 5
            elif cmd in ESC_ONE:
                if cmd == ord("t"):
                    page = data[i + 2]
                elif cmd == ord("d"):
                    out.text += "\n" * data[i + 2]
                i += 3
            else:
                raise AssertionError(f"unknown ESC sequence {data[i:i + 4]!r} at {i}")
        elif b == GS:
            flush()
            cmd = data[i + 1]
            if cmd == ord("V"):  # GS V m, or GS V m n for m 65/66
                out.cuts += 1
                i += 4 if data[i + 2] in (65, 66) else 3
            elif cmd == ord("!"):
                i += 3
            else:
                raise AssertionError(f"unknown GS sequence {data[i:i + 4]!r} at {i}")
        elif b == DLE and i + 1 < len(data) and data[i + 1] == 0x04:
            flush()
            out.status_queries.append(data[i + 2])
            i += 3
        elif b < 0x20 and b not in (0x0A, 0x0D):
            raise AssertionError(f"unexpected control byte {b:#x} at {i}")
        else:
            run.append(b)
            i += 1
    flush()
    return out


class FakePrinter:
    """A network printer on 127.0.0.1: `mode` is 'ok', 'no_paper' or 'stall' (accepts, never reads nor
    answers); it may change between jobs. `off()` closes the port (connections are refused), `on()`
    opens the same port again. `jobs` holds the bytes of each finished connection, in order."""

    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.jobs: list[bytes] = []
        self._done = threading.Condition()
        self._stalled: list[socket.socket] = []
        self.port = 0
        self.on()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def on(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._serve, args=(self._server,), daemon=True).start()

    def off(self) -> None:
        self._server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept: only then is the port closed
        self._server.close()

    def _serve(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed: off()
                return
            if self.mode == "stall":
                self._stalled.append(conn)  # accepted, never read, never answered
                continue
            threading.Thread(target=self._job, args=(conn, self.mode), daemon=True).start()

    def _job(self, conn: socket.socket, mode: str) -> None:
        data, answered = bytearray(), 0
        with conn:
            while True:
                try:
                    chunk = conn.recv(4096)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
                while (at := data.find(b"\x10\x04", answered)) >= 0 and at + 2 < len(data):
                    answered = at + 3
                    conn.sendall(bytes([NO_PAPER if mode == "no_paper" and data[at + 2] == 4 else PAPER_OK]))
        with self._done:
            self.jobs.append(bytes(data))
            self._done.notify_all()

    def wait_jobs(self, n: int, timeout: float = 10.0) -> list[bytes]:
        with self._done:
            assert self._done.wait_for(lambda: len(self.jobs) >= n, timeout), f"{len(self.jobs)} of {n} jobs arrived"
            return list(self.jobs)

    def close(self) -> None:
        for conn in self._stalled:
            conn.close()
        try:
            self.off()
        except OSError:  # already off
            pass


def refused_target() -> str:
    """A 127.0.0.1 port nothing listens on: connecting is refused at once."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"
