"""`stats`: sizes, rows, last runs, the slowest typical query and alerts."""

from __future__ import annotations

import json

import click

from ..db import connect
from ..maintenance import alerts, facts, stats
from ..schema import runner
from .output import echo, echo_text, table
from .recorded import need_database


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for monitoring.")
@click.pass_context
def stats_cmd(ctx: click.Context, as_json: bool) -> int:
    """Sizes, rows, last runs, slowest typical query and alerts; exit 0 ok, 1 error, 4 warnings."""
    target = ctx.obj["target"]
    need_database(target)
    database = connect(target, readonly=True)
    data = stats.collect(target, database, runner.migration_files())
    code = alerts.exit_code([alerts.Alert(**a) for a in data["alerts"]])
    data["exit_code"] = code
    if as_json:
        echo_text(json.dumps(data, indent=2, default=str))
        return code
    _print_stats(data)
    return code


def _print_stats(d: dict) -> None:
    h = facts.human
    echo(f"database        {d['target']}")
    echo(f"schema version  {d['schema_version']}  (latest {d['latest']}{', pending ' + ', '.join(d['pending']) if d['pending'] else ''})")
    if "database_bytes" in d:
        wal = "" if d["wal_bytes"] is None else f" + WAL {h(d['wal_bytes'])}"
        echo(f"size            {h(d['database_bytes'])}{wal}; free disk {h(d['free_disk_bytes'])}")
        echo(f"backups         {d['backups']['count']}, newest {d['backups']['newest'] or 'none'}")
    echo(f"tables          (bytes from {d.get('size_source')})")
    table([(t["name"], t["rows"], "rows", h(t["bytes"])) for t in d.get("tables", [])], right=(1, 3))
    echo("indexes")
    table([(i["name"], h(i["bytes"]), f"on {i['table']}") for i in d.get("indexes", [])], right=(1,))
    last = d.get("last_maintenance_run")
    if last:
        echo(f"last maintenance  {last['command']} {last['outcome']} at {last['started_at']} UTC in {last['duration_ms']} ms ({last['from_version']} -> {last['to_version']})")
    else:
        echo("last maintenance  none recorded")
    table([(f"last {lc['kind']}", f"at {lc['started_at']} UTC",
             "" if lc.get("duration_ms") is None else f"in {lc['duration_ms']} ms",
             "" if lc.get("rows") is None else f"{lc['rows']} rows") for lc in d.get("last_lifecycle_runs", [])],
          right=(2, 3), indent=0)
    echo(f"errors (24 h)   {d.get('errors_24h', 0)}")
    p = d.get("privacy")
    if p:
        echo(f"legal holds     {p['holds_in_force']} in force ({p['holds_past_review']} past review); "
             f"last expiry skipped {p['expiry_held_last_run']} held row(s)")
        echo(f"requests        {p['requests_open']} open, {p['requests_due_soon']} due within a week, "
             f"{p['requests_overdue']} overdue")
    q = d.get("slowest_query")
    if q:
        echo(f"slowest query   '{q['name']}' {q['ms']:.2f} ms (budget {q['budget_ms']:.0f} ms), {'uses an index' if q['uses_index'] else 'NO index'}")
        for line in q["plan"]:
            echo(f"  plan: {line}")
    if not d["alerts"]:
        echo("alerts          none")
    table([(a["level"], a["code"], a["message"]) for a in d["alerts"]], indent=0)
