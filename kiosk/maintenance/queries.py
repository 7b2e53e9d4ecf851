"""A fixed set of the kiosk's typical queries, timed, with their query plans.

Each has a budget; one slower than its budget, or one that does not use an
index it should, is an alert. The timer is injectable so tests never depend on
how fast the machine is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import peewee as pw

from ..backends import backend_for
from .sites import site_for


@dataclass(frozen=True)
class Query:
    name: str
    sql: str  # `{since}` stands for the UTC time `since_hours` ago, in the database's own date arithmetic
    params: tuple = ()
    budget_ms: float = 50.0
    since_hours: int | None = None

    def sql_for(self, database: pw.Database) -> str:
        sql = self.sql
        if self.since_hours is not None:
            sql = sql.format(since=site_for(database).hours_ago(self.since_hours))
        return sql.replace("?", database.param)


# Probe values that match no real row: the cost is the lookup, not the result size.
TYPICAL = (
    Query("find a vehicle by plate", "SELECT id FROM vehicles WHERE number_plate = ?", ("~PROBE~",)),
    Query(
        "unpaid vehicles older than an hour",
        "SELECT COUNT(*) FROM vehicles WHERE payment_status = ? AND entry_timestamp < {since}",
        ("pending",),
        100.0,
        since_hours=1,
    ),
    Query(
        "expired vehicles (retention)",
        "SELECT COUNT(*) FROM vehicles WHERE entry_timestamp < {since}",
        (),
        100.0,
        since_hours=24,
    ),
    Query("audit trail of one vehicle", "SELECT id FROM audit_logs WHERE entity = ? AND entity_id = ? ORDER BY timestamp", ("vehicle", "~PROBE~")),
    Query(
        "latest audit rows",
        "SELECT id FROM audit_logs WHERE timestamp >= {since} ORDER BY timestamp DESC LIMIT 50",
        since_hours=24,
    ),
)


@dataclass
class Timing:
    name: str
    sql: str
    ms: float
    budget_ms: float
    plan: list[str]

    @property
    def uses_index(self) -> bool:
        """SQLite: 'SEARCH t USING [COVERING] INDEX i' / 'USING INTEGER PRIMARY KEY';
        PostgreSQL: 'Index [Only] Scan using i on t' / 'Bitmap Index Scan on i'."""
        return any(("USING" in line and ("INDEX" in line or "PRIMARY KEY" in line)) or "Index Scan" in line
                   or "Index Only Scan" in line for line in self.plan)

    @property
    def over_budget(self) -> bool:
        return self.ms > self.budget_ms

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "sql": self.sql,
            "ms": round(self.ms, 3),
            "budget_ms": self.budget_ms,
            "uses_index": self.uses_index,
            "plan": self.plan,
        }


def time_queries(database: pw.Database, timer: Callable[[], float] = time.perf_counter) -> list[Timing]:
    """Run each typical query whose tables exist, with its plan."""
    backend = backend_for(database)
    out = []
    for q in TYPICAL:
        sql = q.sql_for(database)
        try:
            plan = backend.plan(database, sql, q.params)
            start = timer()
            database.execute_sql(sql, q.params).fetchall()
            ms = (timer() - start) * 1000
        except (pw.OperationalError, pw.ProgrammingError):
            continue  # table or column not in this schema version
        out.append(Timing(q.name, sql, ms, q.budget_ms, plan))
    return out


def slowest(timings: list[Timing]) -> Timing | None:
    return max(timings, key=lambda t: t.ms / t.budget_ms, default=None)
