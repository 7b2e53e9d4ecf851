"""What maintenance does differently on each database, one class per database.

`site_for(target or database)` gives the `Site` (kiosk.maintenance.sites.base) of the
database's backend: the class `SITE` of the module named as the backend
(`kiosk.maintenance.sites.sqlite`, `...postgresql`): its backups and restore, its catalog,
its integrity and foreign-key checks, its query text. The rest of maintenance asks it
instead of testing which database it is on. A third database is one module in
kiosk/backends/, one here, and its SQL in each migration file.
"""

from __future__ import annotations

import importlib

from ...backends import backend_for
from ...backends.base import Unsupported
from ...db import Target
from .base import CannotCompare, Schema, Site


def site_for(thing: Target | object) -> Site:
    """The site of a target (backups, restore and the rest) or of a peewee database (the catalog,
    checks and query text only: it has no target)."""
    name = backend_for(thing).name
    module_name = f"{__name__}.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise Unsupported(name, "be maintained") from None
    return module.SITE(thing if isinstance(thing, Target) else None)


__all__ = ["CannotCompare", "Schema", "Site", "site_for"]
