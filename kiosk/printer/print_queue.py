"""One background thread that prints, so that a payment never waits for paper.

`submit` only appends to a list and returns: it never blocks and never raises. The thread prints
the jobs in order; a job that fails (printer off, unreachable, out of paper, stalled past the
timeout) is kept, the status says why, and `reprint` sends the kept jobs again. The last
`keep` failed jobs are kept (the receipts are on disk in receipts/ whatever happens here).
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .device import print_job
from .errors import PrinterError
from .spec import PrinterSpec

DEFAULT_TIMEOUT_S = 5.0
KEEP = 50


@dataclass(frozen=True)
class PrintJob:
    title: str  # what it is, as the terminal names it: "receipt 42", "Z report 3", "test page"
    lines: tuple[str, ...]
    kick: bool = False  # open the cash drawer (a cash payment); never again on a reprint
    cut: bool = True
    id: int = 0  # given by submit

    @classmethod
    def of(cls, title: str, lines: Sequence[str] | str, *, kick: bool = False) -> PrintJob:
        """From a list of lines or one text (Receipt.text())."""
        if isinstance(lines, str):
            lines = lines.splitlines()
        return cls(title, tuple(lines), kick=kick)


@dataclass(frozen=True)
class PrinterStatus:
    ok: bool  # False while the printer is failing: the header shows `message`
    message: str
    pending: int  # jobs waiting or printing
    kept: int = 0  # failed jobs kept for a reprint
    printer: str = ""  # which printer, e.g. "network 192.168.1.50:9100"; "no printer"
    reason: str = ""  # `message` without naming the printer ("out of paper"), for a short line


Printer = Callable[..., None]  # print_job's signature: (spec, lines, *, kick, cut, timeout)


class PrintQueue:
    def __init__(self, spec: PrinterSpec | None, *, timeout: float = DEFAULT_TIMEOUT_S, keep: int = KEEP,
                 printer: Printer = print_job, on_change: Callable[[PrinterStatus], None] | None = None,
                 problem: str = "") -> None:
        """`spec` None or kind none: nothing is printed. `problem`: why there is no spec (a stored
        setting that is not valid), shown as the status until the printer is configured again."""
        self._spec = spec
        self._timeout = timeout
        self._print = printer
        self._lock = threading.Condition()
        self._jobs: deque[PrintJob] = deque()
        self._kept: deque[PrintJob] = deque(maxlen=keep)
        self._busy = False
        self._error = self._reason = problem
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._closed = False
        self.on_change = on_change  # called from the printing thread; must not block

    # ---- what the terminal calls ----------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self._spec is not None and self._spec.enabled

    @property
    def spec(self) -> PrinterSpec | None:
        return self._spec

    def configure(self, spec: PrinterSpec | None, problem: str = "") -> None:
        """A new printer (its settings were saved): the next job goes to it; kept jobs stay kept."""
        with self._lock:
            self._spec, self._error, self._reason = spec, problem, problem
        self._changed()

    def submit(self, job: PrintJob) -> int:
        """Queue `job`; its id, or 0 when no printer is set up. Never blocks, never raises."""
        try:
            with self._lock:
                if not self.enabled or self._closed:
                    return 0
                job = replace(job, id=next(self._ids))
                self._jobs.append(job)
                self._start()
                self._lock.notify_all()
            self._changed()
            return job.id
        except Exception:  # noqa: BLE001 - printing is never worth failing a payment for
            return 0

    def status(self) -> PrinterStatus:
        with self._lock:
            pending = len(self._jobs) + (1 if self._busy else 0)
            what = self._spec.describe() if self._spec is not None else "no printer"
            return PrinterStatus(ok=not self._error, message=self._error, pending=pending, kept=len(self._kept),
                                 printer=what, reason=self._reason)

    def kept(self) -> list[PrintJob]:
        """The failed jobs kept for a reprint, oldest first."""
        with self._lock:
            return list(self._kept)

    def reprint(self, ids: Sequence[int] | None = None) -> int:
        """Queue the kept jobs again (those with `ids`, or all), without kicking the drawer; how many."""
        with self._lock:
            if not self.enabled or self._closed:
                return 0
            chosen = [j for j in self._kept if ids is None or j.id in ids]
            for job in chosen:
                self._kept.remove(job)
                self._jobs.append(replace(job, kick=False))
            if chosen:
                self._start()
                self._lock.notify_all()
        if chosen:
            self._changed()
        return len(chosen)

    def wait_idle(self, timeout: float) -> bool:
        """Until every queued job was tried (True), or `timeout` seconds passed (False)."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._jobs and not self._busy, timeout)

    def close(self) -> None:
        """Stop the thread after the job in hand; jobs not yet printed are dropped (their files remain)."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    # ---- the printing thread ----------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="kiosk-printer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._jobs or self._closed)
                if self._closed:
                    return
                job, spec = self._jobs.popleft(), self._spec
                self._busy = True
            error, reason = self._try(job, spec)
            with self._lock:
                self._busy = False
                if error:
                    self._kept.append(replace(job, kick=False))
                self._error, self._reason = error, reason
                self._lock.notify_all()
            self._changed()

    def _try(self, job: PrintJob, spec: PrinterSpec | None) -> tuple[str, str]:
        """('', '') once printed; else (why, why without naming the printer)."""
        if spec is None or not spec.enabled:
            why = "no printer is set up: choose its kind and target in Configuration (F4)"
            return why, why
        try:
            self._print(spec, job.lines, kick=job.kick, cut=job.cut, timeout=self._timeout)
            return "", ""
        except PrinterError as exc:
            return exc.message, exc.reason
        except Exception as exc:  # noqa: BLE001 - the thread must outlive any printer fault
            return f"the printer ({spec.describe()}) failed: {type(exc).__name__}", f"failed: {type(exc).__name__}"

    def _changed(self) -> None:
        callback = self.on_change
        if callback is not None:
            try:
                callback(self.status())
            except Exception:  # noqa: BLE001 - a closed terminal's callback must not stop the printing
                pass
