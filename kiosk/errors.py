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


def one_line(text: object) -> str:
    """`text` made safe for one line of output: control characters (a newline in a file name, an
    escape sequence) are shown escaped, as repr() shows them, so they never split or garble the line."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)
