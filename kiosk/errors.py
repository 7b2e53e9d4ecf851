"""The project's exceptions: each message is written for the person at the keyboard."""


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
