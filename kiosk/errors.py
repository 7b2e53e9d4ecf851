"""The project's exceptions: each message is written for the person at the keyboard."""

import errno


class KioskError(Exception):
    """An expected failure: bad input, a refused action, a missing database.

    The message says what was wrong and what is allowed; callers show it as is,
    never with a traceback.
    """

    exit_code = 1


class UsageError(KioskError):
    """The command line named something that does not exist (version, target)."""

    exit_code = 2


class DatabaseTargetError(UsageError):
    """The database path or URL cannot be used."""


def one_line(text: object) -> str:
    """`text` made safe for one line of output: control characters (a newline in a file name, an
    escape sequence) are shown escaped, as repr() shows them, so they never split or garble the line."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


class DiskFull(KioskError):
    """The disk (or the database's size limit) is full; the change under way was undone."""


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


def full_where(database) -> str:
    """Where space must be freed, for a peewee database (no import of peewee here)."""
    name = str(getattr(database, "database", "") or "")
    sqlite = any(cls.__name__ == "SqliteDatabase" for cls in type(database).__mro__)
    if sqlite and name and name != ":memory:":
        from pathlib import Path

        return f"the disk holding {Path(name.removeprefix('file:').split('?', 1)[0]).absolute().parent}"
    return "the database server's disk"
