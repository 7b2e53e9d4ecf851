"""The background expiry + archive run: on a timer, or on demand from the Activity screen.

One run = Booth.expire then Booth.archive, in one thread worker, batch by batch
(the booth layer commits each batch in its own short transaction, so an entry
typed meanwhile waits at most one batch). The next timed run is armed only after
the previous one finished, so runs never overlap. A failure becomes a
notification, a header alert and a line on the Activity screen; it never ends
the app, and the next run tries again. While a migrate, rollback or restore holds
the database (kiosk.schema.exclusion) a run is skipped, and says so the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Callable

from textual.signal import Signal
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

from ..booth import RunReport, localtime
from ..schema import exclusion

if TYPE_CHECKING:  # pragma: no cover
    from ..booth import Booth
    from .app import KioskApp

DEFAULT_INTERVAL = 300.0  # seconds between the end of one run and the start of the next
GROUP = "lifecycle"
JOBS = ("expire", "archive")
WHAT = {"expire": "expiry", "archive": "archiving"}


@dataclass(frozen=True)
class LifecycleStatus:
    """What the Activity screen shows about the worker; replaced as a whole on every change."""

    running: bool = False
    trigger: str = ""  # "timer" | "on demand" while running or for the last run
    phase: str = ""  # the job under way: expire | archive
    done: int = 0  # rows done by the job under way
    total: int = 0
    reports: tuple[RunReport, ...] = ()  # of the last finished run
    error: str = ""  # of the last finished run; "" when it succeeded
    finished_at: dt.datetime | None = None
    runs: int = 0  # finished runs since the app started
    interval: float | None = DEFAULT_INTERVAL
    next_at: dt.datetime | None = None  # when the next timed run is due (app clock); None if not armed
    alert: str = ""  # for the header, from the last finished run (skipped or failed); "" when none

    def progress_text(self) -> str:
        if not self.running:
            return ""
        if not self.phase:
            return f"run started ({self.trigger})…"
        of = f" of {self.total:,}" if self.total else ""
        return f"{WHAT[self.phase]} under way ({self.trigger}): {self.done:,}{of} rows"


@dataclass(frozen=True)
class Outcome:
    reports: tuple[RunReport, ...] = ()
    errors: tuple[str, ...] = ()
    cancelled: bool = False
    trigger: str = ""
    finished_at: dt.datetime | None = None
    failed_jobs: tuple[str, ...] = field(default_factory=tuple)
    skipped: str = ""  # why the run did not start (maintenance holds the database); "" when it ran


def reason_of(exc: BaseException) -> str:
    """One line for the attendant: the booth's own message, else the error's text or its type."""
    text = " ".join(str(exc).split())
    return (text or type(exc).__name__)[:200]


class LifecycleWorker:
    """Owned by the app (`app.lifecycle`); needs `app.booth`. The app and screens subscribe to `changed`."""

    def __init__(self, app: "KioskApp", *, interval: float | None = DEFAULT_INTERVAL,
                 jobs: dict[str, Callable[..., RunReport]] | None = None) -> None:
        self.app = app
        self.interval = interval  # None: on demand only
        self._jobs = jobs  # injectable for tests: name -> callable(booth, progress=, should_stop=)
        self.status = LifecycleStatus(interval=interval)
        self.changed: Signal[LifecycleStatus] = Signal(app, "lifecycle")
        self._timer: Timer | None = None
        self._worker: Worker | None = None

    # ---- control (UI thread) ---------------------------------------------------------
    @property
    def booth(self) -> "Booth | None":
        return getattr(self.app, "booth", None)

    @property
    def armed(self) -> bool:
        """True while a timed run is waiting to start (never while one runs)."""
        return self._timer is not None

    def start(self) -> None:
        """Arm the first timed run (one interval after start); nothing without a booth."""
        self._arm()

    def stop(self) -> None:
        self._disarm()
        if self._worker is not None and not self._worker.is_finished:
            self._worker.cancel()  # the run stops cleanly between two batches

    def run_now(self, trigger: str = "on demand") -> bool:
        """Start a run unless one is under way; False (and nothing started) otherwise."""
        if self.booth is None or self.status.running:
            return False
        self._disarm()
        self._set(replace(self.status, running=True, trigger=trigger, phase="", done=0, total=0))
        self._worker = self.app.run_worker(
            partial(self._work, self.booth, trigger), thread=True, exit_on_error=False, group=GROUP,
            name="lifecycle", description="the expiry and archive run",
        )
        return True

    def _arm(self) -> None:
        self._disarm()
        if self.interval is not None and self.booth is not None:
            self._timer = self.app.set_timer(self.interval, self._timer_fired, name="lifecycle")
            clock = getattr(self.app, "clock", None)
            if clock is not None:
                self._set(replace(self.status, next_at=clock.now() + dt.timedelta(seconds=self.interval)))

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
            self.status = replace(self.status, next_at=None)

    def _timer_fired(self) -> None:
        self._timer = None
        if not self.run_now("timer"):
            self._arm()

    def _set(self, status: LifecycleStatus) -> None:
        self.status = status
        self.changed.publish(status)

    # ---- the run (worker thread) ------------------------------------------------------
    def _job(self, name: str) -> Callable[..., RunReport]:
        if self._jobs and name in self._jobs:
            return self._jobs[name]
        return lambda booth, **kw: getattr(booth, name)(**kw)

    def _work(self, booth: "Booth", trigger: str) -> Outcome:
        worker = get_current_worker()
        stop = lambda: worker.is_cancelled  # noqa: E731 - checked by the booth between batches
        reports, errors, failed, skipped = [], [], [], ""
        who = f"expiry worker of booth '{self._booth_name()}'"
        try:
            with booth.database.connection_context(), exclusion.expiry_running(booth.database, who):
                for name in JOBS:
                    if worker.is_cancelled:
                        break
                    self.app.call_later(self._progress, name, 0, 0)  # post_message: thread-safe, never blocks
                    try:
                        reports.append(self._job(name)(booth, progress=partial(self._post_progress, name),
                                                       should_stop=stop))
                    except Exception as exc:  # noqa: BLE001 - one job failing must not skip the other
                        failed.append(name)
                        errors.append(f"{WHAT[name]} failed: {reason_of(exc)}")
        except exclusion.MaintenanceHoldsDatabase as exc:
            skipped = reason_of(exc)
        except Exception as exc:  # noqa: BLE001 - e.g. the database cannot be opened at all
            failed.append("connect")
            errors.append(f"could not open the database: {reason_of(exc)}")
        outcome = Outcome(tuple(reports), tuple(errors), worker.is_cancelled, trigger, booth.clock.now(), tuple(failed),
                          skipped)
        # Not call_from_thread: that blocks, and would hang an app that is shutting down.
        self.app.call_later(self._finished, outcome)
        return outcome

    def _booth_name(self) -> str:
        services = getattr(self.app, "services", None)
        return getattr(services, "booth_name", "") or "Booth"

    def _post_progress(self, name: str, done: int, total: int) -> None:
        self.app.call_later(self._progress, name, done, total)

    # ---- results (UI thread) ------------------------------------------------------------
    def _progress(self, name: str, done: int, total: int) -> None:
        if self.status.running:
            self._set(replace(self.status, phase=name, done=done, total=total))

    def _finished(self, outcome: Outcome) -> None:
        self._worker = None
        error = "; ".join(outcome.errors)
        if outcome.skipped:
            error = f"skipped: {outcome.skipped}"
        status = replace(self.status, running=False, phase="", done=0, total=0, reports=outcome.reports,
                         error=error, finished_at=outcome.finished_at, runs=self.status.runs + 1,
                         trigger=outcome.trigger)
        if outcome.cancelled:
            self._set(status)
            return  # the app is closing, or the run was stopped on purpose: no retry, no alarm
        when = localtime.hm(outcome.finished_at, self.app.zone) if outcome.finished_at else "?"
        if outcome.skipped:
            later = f"the next run is in {_every(self.interval)}" if self.interval else "run it again from Activity"
            self.app.notify(f"Skipped: {outcome.skipped}; {later}.", title="Expiry/archive run skipped",
                            severity="warning", timeout=10)
            status = replace(status, alert=f"expiry/archive run skipped at {when}: maintenance holds the database")
        elif error:
            self.app.log.error("lifecycle run failed", error)
            retry = f"; trying again in {_every(self.interval)}" if self.interval else "; run it again from Activity"
            self.app.notify(f"{error}{retry}.", title="Expiry/archive run failed", severity="error", timeout=10)
            status = replace(status, alert=f"expiry/archive run failed at {when}: {error}")
        else:
            status = replace(status, alert="")
            if outcome.trigger == "on demand":
                self.app.notify(summary(outcome.reports), title="Expiry and archive done")
        self._set(status)  # the app shows `alert` in the header; Activity shows the rest
        self._arm()


def _every(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def summary(reports: tuple[RunReport, ...] | list[RunReport]) -> str:
    """'expired 3 stays, archived 0 audit rows' for a notification."""
    parts = []
    for r in reports:
        noun = "personal data of {} closed stays" if r.kind == "expire" else "{} audit rows"
        verb = "removed" if r.kind == "expire" else "archived"
        kept = f" ({r.held:,} kept under a legal hold)" if r.held else ""
        parts.append(f"{verb} {noun.format(f'{r.rows:,}')}{kept}" + (f" ({r.status})" if r.status != "done" else ""))
    return ", ".join(parts) or "nothing to do"
