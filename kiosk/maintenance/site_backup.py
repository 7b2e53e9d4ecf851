"""Where a site's backups live and how they are taken: the target's maintenance site.

`backup_tool_for(target)` gives the one object for the target's kind of database
(kiosk.maintenance.sites): a SQLite file is copied with the online backup API
(kiosk.maintenance.backup), a PostgreSQL database is dumped with pg_dump. Callers ask
it instead of testing which database they are on.
"""

from __future__ import annotations

from ..db import Target
from .sites import Site, site_for


def backup_tool_for(target: Target) -> Site:
    return site_for(target)


__all__ = ["backup_tool_for"]
