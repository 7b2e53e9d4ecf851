"""Staff accounts: create, list, disable, enable, rename, change a role, reset a PIN.

A name is unique whatever its case (`name_key`, the case-folded name, has a unique index).
The audit trail records accounts by id only: no name, no PIN, no hash. At least one active
manager always remains (disabling or demoting the last one is refused), so the site can
always be configured. Changes that count managers hold the configuration row's lock
(PostgreSQL), so two booths cannot each remove "the other" last manager at once.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import peewee as pw

from ..errors import ErrorCode
from ..models import Staff, SystemConfig
from . import tx
from .holds import held_staff, held_staff_accounts
from .actors import Role
from .context import Context
from .errors import BoothError, shown
from .pins import check_new_pin
from .results import StaffMember
from .text import _clean
from .validate import parse_int

STAFF_NAME_MAX = 40
NAME_RULE = f"a staff name is 1 to {STAFF_NAME_MAX} printable characters with at least one letter, not starting with ~"
ROLE_RULE = "a role is attendant, supervisor or manager"
PURGED_PREFIX = "~"  # a purged account's name is '~<id>': never a valid name, so never taken


def clean_staff_name(raw: object, field: str = "name") -> str:
    # A tab or newline is refused, not folded into a space as in a contact name: a name that reads
    # as another account's would be confusing at sign-in.
    if isinstance(raw, str) and len(raw) <= STAFF_NAME_MAX * 4 and any(
            unicodedata.category(ch).startswith("C") for ch in raw):
        raise BoothError(f"the staff name contains control characters: {NAME_RULE}", field=field)
    name = _clean(raw, field, "staff name", 1, STAFF_NAME_MAX, NAME_RULE)
    if name.startswith(PURGED_PREFIX) or not any(ch.isalpha() for ch in name):
        raise BoothError(f"'{shown(name)}' is not a staff name: {NAME_RULE}", field=field)
    return name


def name_key(name: str) -> str:
    """How names are compared: NFKC, then case-folded ('ANN', 'ann' and 'Ａnn' are one name)."""
    return unicodedata.normalize("NFKC", name).casefold()


def check_role(raw: object) -> Role:
    if isinstance(raw, Role):
        return raw
    text = raw.strip().lower() if isinstance(raw, str) and len(raw) <= 40 else ""
    try:
        return Role(text)
    except ValueError:
        raise BoothError(f"'{shown(raw)}' is not a role: {ROLE_RULE}", field="role") from None


def shown_name(row: Staff) -> str:
    """The name to show: a purged account has none left."""
    return f"former staff #{row.id}" if row.purged_at is not None else row.display_name


def member(row: Staff) -> StaffMember:
    return StaffMember(staff_id=row.id, name=shown_name(row), role=Role(row.role), active=row.disabled_at is None,
                       disabled_at=row.disabled_at, locked_until=row.locked_until, created_at=row.created_at,
                       last_sign_in_at=row.last_sign_in_at, purged=row.purged_at is not None)


def find(who: object, *, field: str = "name") -> Staff:
    """An account by id (int) or name (any case); BoothError when there is none (purged ones included)."""
    if isinstance(who, int) and not isinstance(who, bool):
        row = Staff.get_or_none((Staff.id == parse_int(who, "staff", 1, 2**62, "a staff id")) & Staff.purged_at.is_null())
        if row is None:
            raise BoothError(f"there is no staff member {who}", field=field)
        return row
    if not isinstance(who, str) or len(who) > STAFF_NAME_MAX * 4:
        raise BoothError(f"name a staff member by name: {NAME_RULE}", field=field)
    key = name_key(" ".join(unicodedata.normalize("NFC", who).split()))
    row = Staff.get_or_none((Staff.name_key == key) & Staff.purged_at.is_null()) if key else None
    if row is None:
        raise BoothError(f"there is no staff member named '{shown(who)}'" if key else "enter a staff name", field=field)
    return row


def _taken(name: str) -> BoothError:
    return BoothError(f"a staff member named '{shown(name)}' already exists (names are compared without case): "
                      "choose another name", field="name")


def _guard_config(ctx: Context) -> None:
    """Serialise changes that count accounts (PostgreSQL: the configuration row's lock)."""
    cfg = ctx.config_row()
    ctx.backend.lock(SystemConfig.select(SystemConfig.id).where(SystemConfig.id == cfg.id))


def _insert(ctx: Context, name: str, role: Role, pin_hash: str) -> int:
    if Staff.select(Staff.id).where(Staff.name_key == name_key(name)).exists():
        raise _taken(name)
    now = ctx.now()
    try:
        with ctx.db.atomic():  # a savepoint: a name taken a moment ago at another booth is a clear refusal
            sid = Staff.insert(display_name=name, name_key=name_key(name), role=str(role), pin_hash=pin_hash,
                               created_at=now, updated_at=now).execute()
    except pw.IntegrityError:
        raise _taken(name) from None
    return int(sid)


def create(ctx: Context, name, role, pin) -> StaffMember:
    clean, kind, secret = clean_staff_name(name), check_role(role), check_new_pin(pin)
    encoded = ctx.pins.hash(secret)  # before the transaction: ~0.2 s that no other booth waits for

    def change() -> int:
        _guard_config(ctx)
        sid = _insert(ctx, clean, kind, encoded)
        ctx.audit("staff_add", "staff", sid, role=str(kind))
        return sid

    return member(Staff.get_by_id(ctx.write(change)))


def create_first_manager(ctx: Context, name, pin) -> Staff:
    """The first account of a fresh site: a manager. Refused once any account exists."""
    clean, secret = clean_staff_name(name), check_new_pin(pin)
    encoded = ctx.pins.hash(secret)

    def change() -> int:
        _guard_config(ctx)
        if Staff.select(Staff.id).exists():
            raise BoothError("this site already has staff accounts: sign in, or ask a manager to add you",
                             code=ErrorCode.REFUSED)
        sid = _insert(ctx, clean, Role.MANAGER, encoded)
        ctx.audit("staff_add", "staff", sid, as_staff=sid, role=str(Role.MANAGER), first=True)
        return sid

    return Staff.get_by_id(ctx.write(change))


def needs_first_manager(ctx: Context) -> bool:
    return not Staff.select(Staff.id).exists()


def sign_in_names(ctx: Context) -> list[str]:
    """The names that may sign in (active accounts), in alphabetical order."""
    rows = Staff.select(Staff.display_name, Staff.name_key).where(Staff.disabled_at.is_null() & Staff.purged_at.is_null())
    return [r.display_name for r in sorted(rows, key=lambda r: r.name_key)]


def listing(ctx: Context, include_disabled: bool = True) -> list[StaffMember]:
    query = Staff.select().where(Staff.purged_at.is_null())
    if not include_disabled:
        query = query.where(Staff.disabled_at.is_null())
    return [member(r) for r in sorted(query, key=lambda r: r.name_key)]


def _active_managers_besides(sid: int) -> int:
    return (Staff.select().where((Staff.role == str(Role.MANAGER)) & Staff.disabled_at.is_null()
                                 & Staff.purged_at.is_null() & (Staff.id != sid)).count())


def _last_manager(row: Staff, what: str) -> BoothError:
    return BoothError(f"{row.display_name} is the last active manager, so cannot be {what}: "
                      "make someone else a manager first", field="name", code=ErrorCode.REFUSED)


def disable(ctx: Context, who) -> StaffMember:
    def change() -> int:
        _guard_config(ctx)
        row = find(who)
        if row.disabled_at is not None:
            raise BoothError(f"{row.display_name}'s account is already disabled", field="name", code=ErrorCode.REFUSED)
        if row.role == Role.MANAGER and not _active_managers_besides(row.id):
            raise _last_manager(row, "disabled")
        now = ctx.now()
        Staff.update(disabled_at=now, updated_at=now).where(Staff.id == row.id).execute()
        ctx.audit("staff_disable", "staff", row.id)
        return row.id

    return member(Staff.get_by_id(ctx.write(change)))


def enable(ctx: Context, who) -> StaffMember:
    def change() -> int:
        row = find(who)
        if row.disabled_at is None:
            raise BoothError(f"{row.display_name}'s account is already active", field="name", code=ErrorCode.REFUSED)
        now = ctx.now()
        Staff.update(disabled_at=None, failed_attempts=0, lockouts=0, locked_until=None,
                     updated_at=now).where(Staff.id == row.id).execute()
        ctx.audit("staff_enable", "staff", row.id)
        return row.id

    return member(Staff.get_by_id(ctx.write(change)))


def rename(ctx: Context, who, new_name) -> StaffMember:
    clean = clean_staff_name(new_name, field="new_name")

    def change() -> int:
        row = find(who)
        if row.display_name == clean:
            raise BoothError(f"the name is already '{shown(clean)}'", field="new_name", code=ErrorCode.REFUSED)
        other = Staff.get_or_none(Staff.name_key == name_key(clean))
        if other is not None and other.id != row.id:
            raise _taken(clean)
        try:
            with ctx.db.atomic():
                Staff.update(display_name=clean, name_key=name_key(clean), updated_at=ctx.now()).where(
                    Staff.id == row.id).execute()
        except pw.IntegrityError:
            raise _taken(clean) from None
        ctx.audit("staff_rename", "staff", row.id)  # no names: the audit trail holds no personal data
        return row.id

    return member(Staff.get_by_id(ctx.write(change)))


def set_role(ctx: Context, who, role) -> StaffMember:
    kind = check_role(role)

    def change() -> int:
        _guard_config(ctx)
        row = find(who)
        if row.role == kind:
            raise BoothError(f"{row.display_name} is already {kind.label}", field="role", code=ErrorCode.REFUSED)
        if row.role == Role.MANAGER and row.disabled_at is None and not _active_managers_besides(row.id):
            raise _last_manager(row, f"made {kind.label}")
        Staff.update(role=str(kind), updated_at=ctx.now()).where(Staff.id == row.id).execute()
        ctx.audit("staff_role", "staff", row.id, old_role=row.role, new_role=str(kind))
        return row.id

    return member(Staff.get_by_id(ctx.write(change)))


def reset_pin(ctx: Context, who, pin) -> StaffMember:
    secret = check_new_pin(pin)
    row = find(who)  # before hashing: an unknown name is said at once
    encoded = ctx.pins.hash(secret)

    def change() -> int:
        now = ctx.now()
        done = Staff.update(pin_hash=encoded, failed_attempts=0, lockouts=0, locked_until=None, updated_at=now).where(
            (Staff.id == row.id) & Staff.purged_at.is_null()).execute()
        if done != 1:
            raise BoothError(f"there is no staff member named '{shown(who)}'", field="name")
        ctx.audit("staff_pin_reset", "staff", row.id)
        return row.id

    return member(Staff.get_by_id(ctx.write(change)))


# ------------------------------------------------------------------ retention
def _disabled_before(cutoff: dt.datetime):
    return Staff.disabled_at.is_null(False) & (Staff.disabled_at < cutoff) & Staff.purged_at.is_null()


def expired_staff(cutoff: dt.datetime):
    """Accounts whose personal data is due: disabled before the cutoff, not yet reduced to an id, not held."""
    return Staff.select(Staff.id).where(_disabled_before(cutoff) & ~held_staff(Staff.id))


def held_accounts(cutoff: dt.datetime) -> int:
    """Accounts a hold keeps although they are due (what an expiry run skips)."""
    return Staff.select(Staff.id).where(Staff.id.in_(held_staff_accounts()) & _disabled_before(cutoff)).count()


def purge_expired(ctx: Context, cutoff: dt.datetime) -> int:
    """Reduce due accounts to their id (name '~<id>', no hash), in one short transaction (they are few)."""

    def change() -> int:
        ids = sorted(r.id for r in ctx.backend.locked(expired_staff(cutoff), skip_locked=True))
        if not ids:
            return 0
        token = pw.Value(PURGED_PREFIX).concat(pw.Cast(Staff.id, "TEXT"))
        now = ctx.now()
        done = (Staff.update(display_name=token, name_key=token, pin_hash=None, failed_attempts=0, lockouts=0,
                             locked_until=None, last_sign_in_at=None, purged_at=now, updated_at=now)
                .where(Staff.id.in_(ids) & _disabled_before(cutoff) & ~held_staff(Staff.id)).execute())
        ctx.audit("expire", "staff", f"{ids[0]}-{ids[-1]}", staff=done, cutoff=f"{cutoff:%Y-%m-%d %H:%M:%S}")
        return done

    return tx.write(ctx.db, change, worker=True)
