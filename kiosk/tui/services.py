"""What the terminal needs from the rest of the kiosk: a `kiosk.booth.Booth`, called from worker threads.

Screens hold no rules: they call `services.call(lambda booth: booth.register(...))` inside a
thread worker. `call` opens the worker thread's own connection (Peewee keeps one per thread)
and closes it afterwards, so the UI thread never touches the database.

Who acts: `booth` is the Booth acting for the person signed in at this terminal (or for nobody,
before anyone signs in: it then only reads). Signing in, relief at the lock screen and signing
out replace it (`use`); the background worker has a booth of its own (`worker_booth`), so it
keeps working whoever is signed in, or nobody.

Tests of the bare shell pass a `KioskServices` without a booth; the screens then say plainly
that no database is connected.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .. import owner_only
from .spot_feed import Row, SpotFeed
from .widgets.formats import span_text, when_text
from .widgets.spot_cells import SpotCell

if TYPE_CHECKING:  # only the types: a fake KioskServices needs no Booth
    from ..booth import Actor, Booth, MapStates, Permission, Receipt, Secret

T = TypeVar("T")


@dataclass
class KioskServices:
    get_cells: Callable[[], Sequence[SpotCell]]  # called in a worker thread
    booth_name: str = "Booth"
    # Text shown when Enter is pressed on a spot (vehicle, time on site, fee so far);
    # called in a worker thread. None: not connected.
    spot_details: Callable[[str], str] | None = None
    vehicle_types: Sequence[str] = field(default_factory=tuple)
    refresh_seconds: float = 3.0  # how often the spot map is read again
    # Acting for the person signed in, or for nobody (reads only); None: the screens say no
    # database is connected. Replaced with `use`, on the UI thread.
    booth: Booth | None = None
    # The same booth acting as the background worker (expiry and archiving only, audited as `worker`).
    worker_booth: Booth | None = None
    receipts_dir: Path | None = None  # where receipt files go (None: not written)
    # The booth's fast path for the map: a SpotFeed over Booth.map_states, or None (the map
    # then reads get_cells). Called once, by the app.
    make_spot_feed: Callable[[], SpotFeed] | None = None
    # The site's time zone (Config.zone); None: this machine's (a shell without a booth).
    zone: dt.tzinfo | None = None
    # No staff account yet: the terminal's first screen creates the first manager.
    first_start: bool = False
    # The terminal locks after this many minutes without a key (Config.lock_minutes).
    lock_minutes: int = 5
    # The booth acting for nobody, which signing out returns to (default: `booth` signed out).
    site: Booth | None = None

    def __post_init__(self) -> None:
        if self.zone is None:
            from ..booth.localtime import machine_zone

            self.zone = machine_zone()[0]
        if self.site is None and self.booth is not None:
            self.site = self.booth.signed_out()

    # ---- who acts ------------------------------------------------------------------------
    @property
    def actor(self) -> Actor | None:
        """Who the terminal acts for; None: nobody signed in (or no database)."""
        return self.booth.actor if self.booth is not None else None

    @property
    def signed_in(self) -> bool:
        actor = self.actor
        return actor is not None and actor.is_person

    def may(self, permission: Permission) -> bool:
        """Whether the signed-in role allows `permission` (no database read): a key beyond it asks
        for a supervisor's approval first."""
        return self.booth is not None and self.booth.may(permission)

    def use(self, booth: Booth | None) -> None:
        """Act for `booth`'s person from now on (None: nobody). On the UI thread."""
        self.booth = booth if booth is not None else self.site

    # Each of these runs in a worker thread and returns what the UI thread then hands to `use`.
    def sign_in(self, name: str, pin: Secret) -> Booth:
        """The booth acting for `name` if `pin` is theirs; BoothError (WRONG_PIN, LOCKED_OUT, ...) otherwise."""
        site = self._site()
        with site.database.connection_context():
            return site.signed_in(site.sign_in(name, pin))

    def create_first_manager(self, name: str, pin: Secret) -> Booth:
        site = self._site()
        with site.database.connection_context():
            return site.signed_in(site.create_first_manager(name, pin))

    def approve(self, name: str, pin: Secret, permission: Permission) -> Actor:
        """The signed-in person with a supervisor's approval for one `permission` call."""
        return self.call(lambda booth: booth.approve(name, pin, permission))

    def record_sign_out(self, booth: Booth) -> None:
        """Audit that `booth`'s person left the terminal (a relief or F9)."""
        if booth.actor is not None and booth.actor.is_person:
            with booth.database.connection_context():
                booth.sign_out()

    def _site(self) -> Booth:
        if self.site is None:
            raise RuntimeError("the booth layer is not connected")
        return self.site

    def spot_feed(self) -> SpotFeed:
        """A new feed over this booth's spots (the app keeps one for its whole run)."""
        if self.make_spot_feed is not None:
            return self.make_spot_feed()
        return SpotFeed.of_cells(self.get_cells)

    @property
    def connected(self) -> bool:
        return self.booth is not None

    def call(self, fn: Callable[[Booth], T], *, acting: Actor | None = None) -> T:
        """fn(booth) inside this thread's own database connection. Call it from worker threads only.
        `acting`: the signed-in person with a supervisor's approval (OverrideDialog), for this call."""
        booth = self.booth
        if booth is None:
            raise RuntimeError("the booth layer is not connected")
        if acting is not None and (booth.actor is None or acting.staff_id != booth.actor.staff_id):
            from ..booth import BoothError
            from ..errors import ErrorCode

            # Approved for the person signed in before a relief: not for whoever is signed in now.
            raise BoothError("the person signed in has changed since this was approved: ask for the approval again",
                             code=ErrorCode.FORBIDDEN)
        with booth.database.connection_context():
            return fn(booth if acting is None else booth.signed_in(acting))

    def new_transaction_id(self) -> str:
        """An id for paying one stay (no database): a repeated Enter with it never charges twice."""
        if self.booth is None:
            raise RuntimeError("the booth layer is not connected")
        return self.booth.new_transaction_id()

    def save_receipt(self, receipt: Receipt) -> tuple[str | None, str | None]:
        """(path, None) once the receipt's file is written; (None, why not) if it could not be;
        (None, None) when no receipts folder is kept. Never raises: the payment is committed."""
        from ..booth import BoothError

        if self.booth is None or self.receipts_dir is None:
            return None, None
        try:
            # In a connection of its own: the booth checks the person's account before writing.
            path = self.call(lambda booth: booth.save_receipt(receipt))
        except BoothError as exc:
            return None, exc.message
        return (str(path) if path is not None else None), None


# ---- the Booth-backed adapter ------------------------------------------------------------

_NUMBERS = re.compile(r"(\d+)")
_LETTERS_DIGITS = re.compile(r"([^\d]*)(\d+)")  # how spot numbers look: A07, CA001


def _natural(spot: str) -> list:
    """Sort key: digit runs compare as numbers. ['A', 7, ''] for A07, as the general split gives."""
    upper = spot.upper()
    if simple := _LETTERS_DIGITS.fullmatch(upper):
        return [simple[1], int(simple[2]), ""]
    parts: list = _NUMBERS.split(upper)
    parts[1::2] = map(int, parts[1::2])
    return parts


def cells_from_rows(rows: Sequence[Row]) -> list[SpotCell]:
    """(spot, vehicle type, state) rows -> map cells grouped by zone and type, in natural spot order (A2 before A10)."""
    groups: dict[tuple[str, str | None], str] = {}
    cells = []
    for key, (number, vtype, state) in sorted((_natural(row[0]), row) for row in rows):
        zone = key[0].rstrip("-_ ") or "—"  # the letters before the first digit
        group = groups.get((zone, vtype))
        if group is None:
            group = groups[(zone, vtype)] = f"Zone {zone} · {vtype or 'any type'}"
        cells.append(SpotCell(number, group, state))
    return cells


def cells_from_states(states) -> list[SpotCell]:
    """Booth.spot_states() -> map cells, as cells_from_rows."""
    return cells_from_rows([(s.spot_number, s.vehicle_type, s.state) for s in states])


def spot_details_text(booth: Booth, spot: str) -> str:
    """One line for Enter on the map: state, plate, time on site, fee so far. Plain words, never a traceback."""
    from ..booth import BoothError, format_money

    state = booth.spot_state(spot)
    if state is None:
        return "no such spot any more (removed in Configuration?)"
    kind = state.vehicle_type or "any type"
    if state.stay_id is None:
        return f"{state.state} · {kind} spot"
    try:
        fee = booth.quote(state.stay_id)
    except BoothError as exc:  # paid at another booth between the two reads
        return f"{state.state} · {state.plate or '?'} · {exc.message}"
    config = booth.config()
    money = format_money(fee.total, config.currency_symbol)
    return (f"{state.state} · {state.plate} · {kind} · since {when_text(fee.entry_at, config.zone, booth.clock.now())} "
            f"({span_text(fee.minutes)}) · fee so far {money}")


def booth_services(booth: Booth, *, receipts_dir: Path | None = None, refresh_seconds: float = 3.0) -> KioskServices:
    """Services over a Booth. Reads the booth name, types and lock time once, before the terminal
    starts. `booth` acting for nobody: the terminal opens on its sign-in screen (or, with no staff
    account yet, on the one that creates the first manager); acting for a person: signed in."""
    from ..booth import WORKER

    config = booth.config()
    types = tuple(booth.vehicle_types())
    if receipts_dir is not None:
        owner_only.tighten_dir(receipts_dir)  # receipts written before they were kept owner-only
        booth.receipts_dir = receipts_dir  # the booth's expiry deletes the files it wrote
    services = KioskServices(
        get_cells=lambda: [],
        booth_name=config.booth_name,
        vehicle_types=types,
        refresh_seconds=refresh_seconds,
        booth=booth,
        worker_booth=booth.signed_in(WORKER),
        receipts_dir=receipts_dir,
        zone=config.zone,
        first_start=booth.actor is None and booth.needs_first_manager(),
        lock_minutes=config.lock_minutes,
    )
    def map_states() -> MapStates:
        return services.call(lambda b: b.map_states())

    services.make_spot_feed = lambda: SpotFeed(map_states, cells_from_rows)
    services.get_cells = lambda: list(services.spot_feed().read().cells)
    services.spot_details = lambda spot: services.call(lambda b: spot_details_text(b, spot))
    return services


def database_services(database, booth_name: str | None = None, *, clock=None, target=None) -> KioskServices:
    """Booth-backed services for a database, with a Booth of its own."""
    from ..booth import Booth

    return booth_services(Booth(database, clock, booth_name),
                          receipts_dir=receipts_dir_for(target) if target is not None else None)


# ---- receipt files (kiosk.booth.receipts: the booth's expiry deletes them) ----------------

def receipts_dir_for(target) -> Path:
    """`receipts/` beside a SQLite file; for a server database, in the working directory."""
    from ..booth.receipts import receipts_dir_for as folder_for

    return folder_for(target)

