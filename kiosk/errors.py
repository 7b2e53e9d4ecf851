"""The project's exceptions: each message is written for the person at the keyboard."""

import errno
from enum import StrEnum


class ErrorCode(StrEnum):
    """What kind of failure an error is: callers branch on this, never on the message's text."""

    FAILED = "failed"  # an expected failure with no more specific code
    USAGE = "usage"  # the command line named something that does not exist
    BAD_TARGET = "bad_target"  # the database path or URL cannot be used
    NOT_A_DATABASE = "not_a_database"  # the target file exists but is not a SQLite database
    UNAVAILABLE = "unavailable"  # the database server cannot be reached or refused us
    DISK_FULL = "disk_full"
    SCHEMA_NOT_READY = "schema_not_ready"  # behind or ahead of this kiosk's schema version
    # The booth's rules (BoothError)
    INVALID = "invalid"  # an input is not acceptable; `field` names it
    REFUSED = "refused"  # the action is not allowed in the current state
    ALREADY_PARKED = "already_parked"  # the plate has an open stay
    CONFLICT = "conflict"  # another booth wrote the same thing a moment ago
    BUSY = "busy"  # the database stayed locked; nothing was changed
    CONNECTION_LOST = "connection_lost"  # the server went away; the change may not be saved
    # Staff and permissions
    FORBIDDEN = "forbidden"  # nobody signed in, or the role may not do this; `needs` names the role
    WRONG_PIN = "wrong_pin"  # the PIN does not match the name
    LOCKED_OUT = "locked_out"  # too many wrong PINs: `seconds` says how long until the next try
    ACCOUNT_DISABLED = "account_disabled"  # a disabled account cannot sign in
    # Maintenance
    PREFLIGHT_REFUSED = "preflight_refused"  # a pre-flight check said no; nothing was changed
    LOCKED = "locked"  # another maintenance run holds the lock
    MAINTENANCE_RUNNING = "maintenance_running"  # a migrate, rollback or restore holds the database
    EXPIRY_RUNNING = "expiry_running"  # an expiry/archive run holds the database
    MIGRATION_FAILED = "migration_failed"
    VALIDATION_FAILED = "validation_failed"
    BACKUP_FAILED = "backup_failed"
    BAD_BACKUP = "bad_backup"
    DATA_LOSS = "data_loss"  # the change would remove rows or values and --allow-data-loss was not given
    EXPORT_FAILED = "export_failed"  # the rows a change removes could not be exported and verified
    # Devices
    PRINTER = "printer"  # the receipt printer cannot print now (unreachable, not answering, out of paper)


class KioskError(Exception):
    """An expected failure: bad input, a refused action, a missing database.

    The message says what was wrong and what is allowed; callers show it as is,
    never with a traceback. `code` says what kind of failure it is (each class has
    a default; a raise may name a more specific one).
    """

    exit_code = 1
    code: ErrorCode = ErrorCode.FAILED

    def __init__(self, *args: object, code: ErrorCode | None = None):
        super().__init__(*args)
        if code is not None:
            self.code = code


class UsageError(KioskError):
    """The command line named something that does not exist (version, target)."""

    exit_code = 2
    code = ErrorCode.USAGE


class DatabaseTargetError(UsageError):
    """The database path or URL cannot be used."""

    code = ErrorCode.BAD_TARGET


def one_line(text: object) -> str:
    """`text` made safe for one line of output: control characters (a newline in a file name, an
    escape sequence) are shown escaped, as repr() shows them, so they never split or garble the line."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


class DiskFull(KioskError):
    """The disk (or the database's size limit) is full; the change under way was undone."""

    code = ErrorCode.DISK_FULL


def is_disk_full(exc: BaseException | None) -> bool:
    """True when `exc`, or an error it was raised from, says the disk is full: SQLite's SQLITE_FULL
    (peewee then often reports only "cannot rollback - no transaction is active", as SQLite has
    already rolled back), PostgreSQL's SQLSTATE 53100, or ENOSPC from the file system."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc).lower()
        if (getattr(exc, "sqlite_errorcode", None) == 13 or getattr(exc, "sqlstate", None) == "53100"
                or (isinstance(exc, OSError) and exc.errno == errno.ENOSPC)
                or "database or disk is full" in text or "no space left on device" in text):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
