"""A database's whole schema read from its catalog, in one comparable form on every backend.

`describe(database)` maps a key such as `table vehicles`, `column vehicles.plate`,
`index idx_x`, `trigger t` or `view v` to a text that changes whenever the object
does: the column names in order (a table's layout), type / NOT NULL / DEFAULT /
primary key (a column), the definition (indexes, constraints, triggers, views,
functions). Definitions come from the database itself (SQLite's stored SQL,
PostgreSQL's pg_get_*def: each site's `describe`, kiosk.maintenance.sites), normalised
only where the server rewrites text on its own (quotes and spacing after a rename, the
schema name). Each backend is compared only with a schema built on the same backend, so
no type is translated.

The history table is left out (stock pw_migrate and the kiosk give it different
columns); triggers and views are never left out, whichever table they are on.
"""

from __future__ import annotations

import peewee as pw

from .sites import Schema, site_for


def describe(database: pw.Database) -> Schema:
    return site_for(database).describe(database)


def kind_of(key: str) -> str:
    return key.split(" ", 1)[0]


__all__ = ["Schema", "describe", "kind_of"]
