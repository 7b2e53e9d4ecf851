"""The booth terminal application: modes, header data, the spot feed, signing in, quitting, errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from ..booth import Booth, localtime
from ..clock import Clock, SystemClock
from .lifecycle_worker import DEFAULT_INTERVAL, LifecycleWorker
from .perf import BoothGC
from .printing import REPRINT_KEY, Printing
from .screen_keys import ScreenKeys
from .screens.quit import ConfirmQuit
from .access import SCREEN_CLASSES, SCREENS, ScreenAccess, lazy
from .services import KioskServices, booth_services, database_services, receipts_dir_for
from .session import IDLE_CHECK_S, SIGN_IN, Session
from .spot_feed import SpotUpdate
from .theme import KIOSK_THEME
from .widgets.booth_header import HeaderInfo
from .widgets.spot_cells import SpotCell

CSS_FILE = Path(__file__).resolve().parent.parent / "kiosk.tcss"

SPOTS_GROUP = "spots"
ALERTS_GROUP = "alerts"
ALERTS_EVERY_S = 60.0  # disk space and maintenance findings change slowly
TYPING_DELAY_S = 0.3  # seconds of no typing before a typed spot is looked up or the expiry preview counted


class KioskApp(ScreenAccess, Printing, App, inherit_bindings=False):
    """No ctrl+q / ctrl+c quit (inherit_bindings=False): only F10, then a confirmation."""

    CSS_PATH = CSS_FILE
    TITLE = "Car-park booth"
    # The first screen needs only its own module: importing all five up front (Activity's charts
    # and tables above all) cost tens of milliseconds of every start.
    MODES = {mode: lazy(mode) for mode in SCREEN_CLASSES}
    BACKGROUND_DEADLINE_S = 10.0  # the alerts check and the lifecycle timer start by then at the latest
    BINDINGS = [
        *(
            Binding(key, f"switch_mode('{mode}')", title, key_display=key.upper(), id=f"mode.{mode}")
            for mode, (key, title) in SCREENS.items()
        ),
        Binding("f9", "sign_out", "Sign out", key_display="F9", id="sign_out"),
        Binding("f10", "request_quit", "Quit", key_display="F10", id="quit"),
        # Said by the printer's header alert and the receipt screen: the footer keeps its room.
        Binding(REPRINT_KEY.lower(), "reprint", "Print again what failed", key_display=REPRINT_KEY, show=False,
                id="printer.reprint"),
        # The palette's key without its word: at 80 columns the screens' keys need the room.
        Binding("ctrl+p", "command_palette", "", show=False, priority=True, tooltip="Open the command palette",
                id="palette"),
        # The keys that quit most terminal programs: say which key quits this one, even in a field.
        Binding("ctrl+c,ctrl+q", "how_to_quit", "How to quit", show=False, priority=True, id="quit.how"),
    ]

    # Data for the screens, which watch it and repaint what shows it. repaint=False: an App's
    # reactive otherwise repaints the whole screen on every change (the clock, every second,
    # repainted the 10,000-spot map with it).
    header_info: reactive[HeaderInfo] = reactive(HeaderInfo, always_update=False, repaint=False)
    spots_version: reactive[int] = reactive(0, repaint=False)  # +1 for every read that found something new
    spots_checked: reactive[int] = reactive(0, repaint=False)  # +1 for every read that succeeded

    def __init__(
        self,
        services: KioskServices,
        *,
        schema_version: str = "",
        clock: Clock | None = None,
        mode: str = "entry",
        freeze_gc: bool = False,
        target=None,
        database=None,
        lifecycle_interval: float | None = DEFAULT_INTERVAL,
        read_spots_first: bool = False,
        typing_delay: float = TYPING_DELAY_S,
        idle_check_seconds: float | None = IDLE_CHECK_S,
        shift_first: bool = False,
    ) -> None:
        if mode not in self.MODES:
            raise ValueError(f"unknown screen {mode!r}; one of: {', '.join(self.MODES)}")
        self.services = services
        self.clock = clock or SystemClock()
        # `idle_check_seconds`: how often the idle lock is checked (None: never by itself; tests
        # call session.check_idle with a later clock).
        # `shift_first`: someone signed in at a booth with no shift of this run open sees the Shift
        # screen first (False: the screen asked for, as before shifts; tests of other screens).
        self.session = Session(self, idle_check_seconds, shift_first=shift_first)
        self.after_sign_in = mode
        self.DEFAULT_MODE = self.session.first_mode(mode)  # Textual reads it once, in App.__init__
        super().__init__()
        self.add_mode(SIGN_IN, self._sign_in_screen)
        self.schema_version = schema_version
        self.target = target
        self.database = database
        self.typing_delay = typing_delay  # 0: look up at every keystroke
        # The site's time zone (Config.zone): every time on screen is shown in it. Configuration sets
        # it again when it is changed here.
        self.zone = services.zone
        self.lifecycle = LifecycleWorker(self, interval=lifecycle_interval)
        self.spot_cells: Sequence[SpotCell] = []
        # spot -> new state since version spots_version - 1; None: draw spot_cells anew
        self.spot_changes: Mapping[str, str] | None = None
        self.spots_read_at = "—"
        self._feed = services.spot_feed()
        self._background_started = False
        self._gc = BoothGC() if freeze_gc else None
        self._spot_timer: Timer | None = None
        self._alerts_timer: Timer | None = None
        self._lifecycle_runs = 0
        self._spots_alert = ""
        self._alerts: dict[str, str] = {}
        self._payment_request: tuple[str | None, str | None] | None = None
        self._screen_keys = ScreenKeys(self, super().on_event)
        self._use_theme(KIOSK_THEME)
        self.set_reactive(
            KioskApp.header_info,
            HeaderInfo(booth_name=services.booth_name, clock_text=self._clock_text(), schema_version=schema_version),
        )
        self._first_read = self._read_first() if read_spots_first else None

    @property
    def booth(self) -> Booth | None:
        """The services' booth acting as the background worker, for the lifecycle worker; screens go
        through `services.call`."""
        return self.services.worker_booth or self.services.booth

    def _read_first(self) -> tuple[SpotUpdate | None] | None:
        """The first spot read, before the terminal starts: the first frame then shows the car park.
        Read in a worker instead, it took 45-125 ms for ~10 ms of work (the thread waited for the
        interpreter lock while the first screen was built), and the screen was usable two frames
        later. None if it failed: the worker's read then reports why, as every later read does."""
        try:
            return (self._feed.read(),)
        except Exception:  # noqa: BLE001 - reported by the worker's read, which repeats it
            return None

    # ---- theme ------------------------------------------------------------------------
    def _use_theme(self, theme) -> None:
        """Start on `theme` without re-parsing the stylesheet for it.

        Assigning `self.theme` makes Textual parse every stylesheet again once the app runs (the
        first parse used the default theme's variables). Nothing is parsed before the app runs,
        so here the variables are simply set first; `theme` keeps working for later changes.
        (Textual built its ANSI colour filter for its default theme, a dark one, as is ours.)
        """
        self.register_theme(theme)
        self.set_reactive(App.theme, theme.name)
        self.stylesheet.set_variables(self.get_css_variables())
        self.set_class(True, f"-theme-{theme.name}", update=False)
        self.set_class(theme.dark, "-dark-mode", update=False)
        self.set_class(not theme.dark, "-light-mode", update=False)

    # ---- start and stop -------------------------------------------------------------
    def on_load(self) -> None:
        if self._gc is not None:
            self._gc.begin()  # no collections until the first usable frame (perf.py)
        # The first screen is usable once the spots have been read: read before the terminal
        # started (the kiosk's start), or else started now, before the screen is even composed.
        # The maintenance alerts check (imports and database work that competed with it for the
        # GIL and the disk) and the lifecycle timer start only once that read is on screen
        # (_start_background).
        if self._first_read is None:
            self.refresh_spots()
        else:
            self._spots_read(self._first_read[0])
            self._arm_spot_timer()

    def on_mount(self) -> None:
        self._screen_keys.start()
        self.session.start()
        self.lifecycle.changed.subscribe(self, self._lifecycle_changed, immediate=True)
        self.start_printer()
        self.set_interval(1.0, self._tick)
        # Should the first read hang (a stalled server), alerts and the lifecycle timer start anyway.
        self.set_timer(self.BACKGROUND_DEADLINE_S, self._start_background, name="background deadline")

    def _start_background(self) -> None:
        """Once the first spot read is on screen: the collector, the lifecycle timer, the alerts check."""
        if self._background_started or not self.is_running:
            return
        self._background_started = True
        if self._gc is not None:
            self._gc.end()
            self.set_interval(5.0, self._gc.collect_when_idle, name="idle gc")
        self.lifecycle.start()
        if self.target is not None and self.database is not None:
            self.refresh_alerts()
        self.warm_up()

    @work(thread=True, exit_on_error=False, group="warm-up", description="loading phone rules and the large type")
    def warm_up(self) -> None:
        """What the first car needs and the first screen did not: imported now, so the first phone
        digit or the first spot shown in large type does not wait ~30 ms for it (nor the first time
        zone typed in Configuration for the list of zones)."""
        from ..booth.phones import warm_up
        from .widgets.big_text import big

        warm_up()
        big("A01")
        localtime.warm_up()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self.session.saw_input()  # the idle lock counts from the last key
            if self._gc is not None:
                self._gc.saw_input()  # full collections wait until the attendant stops typing
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if await self._screen_keys.read(event):
                return  # held for the screen being opened, or a function key's binding ran
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.lifecycle.stop()
        if self.services.printer is not None:
            self.services.printer.on_change = None  # the terminal is gone: nothing to tell
        if self._gc is not None:
            self._gc.release()

    def action_request_quit(self) -> None:
        self.push_screen(ConfirmQuit(), self._quit_answered)

    def action_how_to_quit(self) -> None:
        self.notify("F10 quits the booth terminal (it asks first).", title="ctrl+c and ctrl+q do not quit")

    def _quit_answered(self, quit_: bool | None) -> None:
        if quit_:
            self.session.leaving()  # whoever is signed in leaves with the terminal
            self.exit()

    # ---- header ---------------------------------------------------------------------
    def _clock_text(self) -> str:
        # The header names the zone: it is what every other time on the screens is in.
        return localtime.hm(self.clock.now(), self.zone, zone_always=True)

    def set_zone(self, zone) -> None:
        """The site's time zone changed (Configuration): the clock at once, the lists at their next read."""
        self.zone = zone
        self._tick()

    def _tick(self) -> None:
        self.header_info = replace(self.header_info, clock_text=self._clock_text())

    def set_alert(self, text: str, source: str = "general") -> None:
        """Show an alert in every screen's header until its source clears it with `set_alert('', source)`.

        Sources (spot feed, lifecycle worker, maintenance findings) each own one slot, so one
        clearing its alert never hides another's.
        """
        if text:
            self._alerts[source] = text
        else:
            self._alerts.pop(source, None)
        self.header_info = replace(self.header_info, alert=" · ".join(self._alerts.values()))

    def _lifecycle_changed(self, status) -> None:
        self.set_alert(status.alert, source="lifecycle")
        if status.runs != self._lifecycle_runs:  # a run ended: what it removed may clear a privacy alert
            self._lifecycle_runs = status.runs
            self.refresh_alerts_now()

    # ---- maintenance findings (disk space, failed runs, validation) for the header ----------
    def refresh_alerts_now(self) -> None:
        """Check the alerts at once (not waiting for the next minute), unless a check is under way."""
        if not self._background_started or self.target is None or self.database is None:
            return
        if any(w.group == ALERTS_GROUP and not w.is_finished for w in self.workers):
            return
        if self._alerts_timer is not None:
            self._alerts_timer.stop()  # one chain of checks: this one re-arms it
        self.refresh_alerts()

    @work(thread=True, exit_on_error=False, group=ALERTS_GROUP, description="checking for alerts")
    def refresh_alerts(self) -> list:
        from ..maintenance.alerts import collect_alerts

        with self.database.connection_context():
            # timings=[]: the header never runs the timed typical queries (stats does)
            return [a for a in collect_alerts(self.target, self.database, timings=[], clock=self.clock) if a.level != "info"]

    def _alerts_read(self, alerts: list) -> None:
        self.set_alert("; ".join(a.message for a in alerts[:2]), source="maintenance")

    # ---- the spot feed: read on a timer in a thread, never on the UI thread ------------
    @work(thread=True, exit_on_error=False, group=SPOTS_GROUP, description="reading the spot map")
    def refresh_spots(self) -> SpotUpdate | None:
        return self._feed.read()  # worked out in this thread: None, or only what changed

    def refresh_spots_now(self) -> None:
        if any(w.group == SPOTS_GROUP and not w.is_finished for w in self.workers):
            return  # a read is under way; its result is as fresh as a new one
        if self._spot_timer is not None:
            self._spot_timer.stop()
        self.refresh_spots()

    def _spots_read(self, update: SpotUpdate | None) -> None:
        self.spots_read_at = localtime.hm(self.clock.now(), self.zone, seconds=True)
        if update is not None:
            # Partial changes only follow on from the update before; after a gap, draw it all.
            follows = update.serial == self.spots_version + 1
            self.spot_cells = update.cells
            self.spot_changes = update.changed if follows else None
            counts = update.counts
            self.header_info = replace(self.header_info, free=counts.free, total=counts.total)
        if self._spots_alert:
            self.set_alert("", source="spots")
        self._spots_alert = ""
        if update is not None:
            self.spots_version = update.serial
        self.spots_checked += 1
        if not self._background_started:
            self.call_after_refresh(self._start_background)  # once the read is on screen

    def _arm_spot_timer(self) -> None:
        # Re-armed after each read ends, so reads never overlap however slow the database is.
        if self._spot_timer is not None:
            self._spot_timer.stop()
        self._spot_timer = self.set_timer(self.services.refresh_seconds, self.refresh_spots)

    # ---- one place for every worker failure -------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == SPOTS_GROUP:
            if event.state == WorkerState.SUCCESS:
                self._spots_read(worker.result)
            if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
                self._arm_spot_timer()
            if event.state == WorkerState.ERROR and not self._background_started:
                self.call_after_refresh(self._start_background)  # alerts matter all the more then
        if worker.group == ALERTS_GROUP and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            if event.state == WorkerState.SUCCESS:
                self._alerts_read(worker.result)
            self._alerts_timer = self.set_timer(ALERTS_EVERY_S, self.refresh_alerts)  # re-armed after each check: never overlapping
            return  # a failed alert check is itself not worth an error dialog; the next one retries
        if event.state == WorkerState.ERROR:
            self.report_worker_error(worker)

    def report_worker_error(self, worker: Worker) -> None:
        """A failed worker becomes a notification (and for the spot feed, a header alert)."""
        what = worker.description or worker.name or "background work"
        reason = str(worker.error) or type(worker.error).__name__
        self.log.error(f"{what} failed", worker.error)
        if worker.group == SPOTS_GROUP:
            retry = f"; trying again every {self.services.refresh_seconds:g} s"
            self.notify(f"Could not read the spot map: {reason}{retry}.", title="Spot map not updated", severity="error")
            self._spots_alert = f"spot map not updated since {self.spots_read_at}: {reason}"
            self.set_alert(self._spots_alert, source="spots")
        else:
            self.notify(f"{what[:1].upper()}{what[1:]} failed: {reason}", title="Not done", severity="error")

    # ---- hand-over between screens --------------------------------------------------
    def open_payment(self, spot_number: str | None, plate: str | None = None) -> None:
        """Go to Payment with a stay to look up: a spot (from the map) or a plate (from Entry)."""
        self._payment_request = (spot_number, plate)
        self.switch_mode("payment")

    def take_payment_request(self) -> tuple[str | None, str | None]:
        """(spot, plate) handed over by open_payment, once; (None, None) when there is none."""
        request, self._payment_request = self._payment_request, None
        return request or (None, None)

    # ---- command palette: every action of the current screen, plus the screens ---------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        if self.session.hides_screens:
            yield SystemCommand("Quit", "F10: close the booth terminal (asks first)", self.action_request_quit)
            return
        for mode, (key, title) in SCREENS.items():
            yield SystemCommand(f"Go to {title}", f"{key.upper()}: the {title} screen", partial(self.go, mode))
        seen = {f"switch_mode('{m}')" for m in SCREENS} | {"request_quit", "how_to_quit", "command_palette"}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            run = partial(self.run_action, binding.action, active.node)
            yield SystemCommand(binding.description, f"{self.get_key_display(binding)}: {screen.TITLE or 'this screen'}", run)
        yield SystemCommand("Quit", "F10: close the booth terminal (asks first)", self.action_request_quit)
        for command in super().get_system_commands(screen):
            if command.title in ("Theme", "Keys"):
                yield command


def build_app(target=None, database=None, schema_version: str = "", *, services: KioskServices | None = None,
              clock: Clock | None = None, mode: str = "entry", freeze_gc: bool = True, booth: Booth | None = None,
              lifecycle_interval: float | None = DEFAULT_INTERVAL, read_spots_first: bool = False,
              typing_delay: float = TYPING_DELAY_S, idle_check_seconds: float | None = IDLE_CHECK_S,
              shift_first: bool = False) -> KioskApp:
    """The one factory the CLI and the tests use. `services` defaults to services over `booth`, else
    over `database`: the app then holds that one service object, and through it one Booth.
    `shift_first`: after a sign-in at a booth with no shift of this run open, the Shift screen comes
    first (the terminal `kiosk` starts says True; tests of other screens start where they ask)."""
    if services is None:
        if booth is not None:
            services = booth_services(booth, receipts_dir=receipts_dir_for(target) if target is not None else None)
        elif database is not None:
            services = database_services(database, clock=clock, target=target)
        else:
            raise ValueError("build_app needs a database or a services object")
    elif booth is not None and booth is not services.booth:
        raise ValueError("build_app: give a booth or services over it, not both apart")
    return KioskApp(
        services,
        schema_version=schema_version,
        clock=clock,
        mode=mode,
        freeze_gc=freeze_gc,
        target=target,
        database=database,
        lifecycle_interval=lifecycle_interval,
        read_spots_first=read_spots_first,
        typing_delay=typing_delay,
        idle_check_seconds=idle_check_seconds,
        shift_first=shift_first,
    )
