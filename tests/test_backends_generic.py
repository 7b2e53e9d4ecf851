"""A peewee database that is neither SQLite nor PostgreSQL gets plain transactions; asked for what
only the two kiosk databases have, it says so in one line instead of failing with a traceback."""

from __future__ import annotations

import peewee as pw
import pytest

from kiosk.backends import backend_for
from kiosk.backends.base import Unsupported
from kiosk.errors import ErrorCode, KioskError


class OtherDatabase(pw.Database):
    """Stands for a third kind of database the kiosk has no backend module for."""


def test_an_unknown_database_kind_refuses_locks_and_presence_with_a_clear_error():
    backend = backend_for(OtherDatabase(None))
    asks = [
        lambda: backend.maintenance_lock(None, None, 1.0),
        lambda: backend.expiry_running(None, "expire"),
        lambda: backend.no_expiry(None, None, "migrate"),
        lambda: backend.live_kiosks(None, None),
    ]
    for ask in asks:
        with pytest.raises(Unsupported) as err:
            ask()
        assert isinstance(err.value, KioskError) and err.value.code == ErrorCode.BAD_TARGET
        assert "the kiosk runs on SQLite or PostgreSQL" in str(err.value)
