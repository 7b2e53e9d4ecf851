"""Who a data-protection request is about: the rows that hold a person's data.

A person is named by one of: the plate (normalised as at entry; plates that differ only by
O/0 or I/1 are listed apart, as look-alikes, never merged), the phone (its E.164 form in the
site's region, as stored), the contact name (compared as staff names are: NFKC, case-folded,
spaces collapsed) or, for staff, the account's name or id. Only rows still holding personal
data can match: expiry already reduced the others to ids (`~<id>` plates, empty names).

The scan reads the vehicles that still hold data (the partial index idx_vehicles_unpurged_entry
keeps that set to what the retention allows) and compares in Python, so a name in any script
and a phone stored before it was normalised (an adopted database) match as a person would.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ..models import Staff, Vehicle
from . import staff as staff_accounts
from .context import Context
from .errors import BoothError
from .phones import to_e164
from .plates import lookalike_key, normalise_plate
from .text import clean_name

KINDS = ("plate", "phone", "name", "staff")
RULE = "name the person by exactly one of --plate, --phone, --name or --staff"


@dataclass(frozen=True)
class Selector:
    kind: str  # plate | phone | name | staff
    value: str  # normalised: the plate, the E.164 number, the name as compared, the staff name

    def describe(self) -> str:
        """For the person at the keyboard only: it is personal data, never written to the audit or the log."""
        return f"{self.kind} {self.value}"


@dataclass(frozen=True)
class SubjectMatch:
    selector: Selector
    vehicle_ids: tuple[int, ...] = ()  # rows holding the person's data
    lookalike_ids: tuple[int, ...] = ()  # plates equal but for O/0, I/1: shown, flagged, never acted on
    staff_ids: tuple[int, ...] = ()  # a staff account (selector kind 'staff')
    staff_namesakes: tuple[int, ...] = ()  # accounts with the contact name searched for: shown, flagged

    @property
    def empty(self) -> bool:
        return not (self.vehicle_ids or self.staff_ids)


def name_form(text: str) -> str:
    """How contact names are compared."""
    return staff_accounts.name_key(" ".join(unicodedata.normalize("NFC", text).split()))


def read_selector(ctx: Context, *, plate=None, phone=None, name=None, staff=None) -> Selector:
    given = {k: v for k, v in (("plate", plate), ("phone", phone), ("name", name), ("staff", staff)) if v is not None}
    if len(given) != 1:
        raise BoothError(f"{RULE} ({'none' if not given else ', '.join('--' + k for k in given)} given)",
                         field="subject")
    kind, raw = next(iter(given.items()))
    if kind == "plate":
        return Selector("plate", normalise_plate(raw))
    if kind == "phone":
        return Selector("phone", to_e164(raw, ctx.settings().phone_region))
    if kind == "name":
        return Selector("name", name_form(clean_name(raw)))
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():  # the command line gives an id as text
        raw = int(raw.strip())
    row = staff_accounts.find(raw, field="staff")  # disabled accounts too; purged ones hold nothing
    return Selector("staff", str(row.id))


def _stored_phone(raw: str, region: str) -> str | None:
    if raw.startswith("+"):
        return raw
    try:  # a number stored as typed, before the kiosk normalised phones (an adopted database)
        return to_e164(raw, region)
    except BoothError:
        return None


def match(ctx: Context, selector: Selector) -> SubjectMatch:
    if selector.kind == "staff":
        return SubjectMatch(selector, staff_ids=(int(selector.value),))
    region = ctx.settings().phone_region
    key = lookalike_key(selector.value) if selector.kind == "plate" else None
    exact: list[int] = []
    alike: list[int] = []
    rows = (Vehicle.select(Vehicle.id, Vehicle.number_plate, Vehicle.contact_name, Vehicle.phone_number)
            .where(Vehicle.purged_at.is_null()).order_by(Vehicle.id).tuples())
    for vid, plate, contact, phone in rows.iterator():
        if selector.kind == "plate":
            if plate == selector.value:
                exact.append(vid)
            elif key is not None and plate and lookalike_key(plate) == key:
                alike.append(vid)
        elif selector.kind == "phone":
            if phone and _stored_phone(phone, region) == selector.value:
                exact.append(vid)
        elif contact and name_form(contact) == selector.value:
            exact.append(vid)
    namesakes: tuple[int, ...] = ()
    if selector.kind == "name":
        namesakes = tuple(r.id for r in Staff.select(Staff.id).where(
            (Staff.name_key == selector.value) & Staff.purged_at.is_null()).order_by(Staff.id))
    return SubjectMatch(selector, tuple(exact), tuple(alike), staff_namesakes=namesakes)
