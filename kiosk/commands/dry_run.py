"""`migrate --dry-run` and `rollback --dry-run`: each step's class, its SQL, and what it would remove here."""

from __future__ import annotations

import json

import peewee as pw

from ..db import connect
from ..schema import runner
from ..schema.files import format_version
from .output import EXIT_OK, echo, echo_text, table


def _removes(rows: dict[str, int], values: dict[str, dict[str, int]]) -> str:
    parts = [f"{n} row(s) of {t}" for t, n in sorted(rows.items()) if n]
    for t, cols in sorted(values.items()):
        held = [f"{c} {n}" for c, n in cols.items() if n]
        if held:
            parts.append(f"values of {t} ({', '.join(held)})")
    return ", ".join(parts)


def print_plan(target, goal, files, direction: str, as_json: bool) -> int:
    from ..maintenance import data_loss

    exists = target.exists()
    database = connect(target, readonly=True) if exists else pw.SqliteDatabase(":memory:")
    try:
        steps = runner.plan(database, goal, files)
        current = runner.status(target, database if exists else None, files).schema_version
        forecast = data_loss.forecast(database, steps)
    finally:
        database.close()
    final = goal if goal is not None else files[-1].version
    command = "migrate" if direction == "up" else "rollback"
    if as_json:
        echo_text(json.dumps({
            "command": command, "from_version": format_version(current), "to_version": format_version(final if steps else current),
            "needs_allow_data_loss": forecast.removes_data, **forecast.to_json(),
            "versions": [{"version": s.file.version_text, "direction": s.direction, "title": s.file.title} for s in steps],
        }, indent=2))
        return EXIT_OK
    if not steps:
        echo(f"dry run: already at {format_version(current)}, nothing to do")
        return EXIT_OK
    echo(f"dry run: {format_version(current)} -> {format_version(final)}")
    for step in steps:
        echo()
        echo(f"-- {'apply' if step.direction == 'up' else 'undo'} {step.file.version_text}: {step.file.title}")
        for sf in forecast.steps:
            if (sf.version, sf.direction) != (step.file.version_text, step.direction):
                continue
            removes = _removes(sf.rows, sf.values)
            note = f": removes {removes}" if removes else (": removes nothing on this database" if sf.step.klass == "destructive" else "")
            echo(f"-- [{sf.step.klass}] {sf.step.what}{note}")
            for sql in sf.step.statements:
                echo_text(sql.rstrip() + ";")
    echo()
    if forecast.removes_data:
        echo("data that would leave the database (exported beside the backup first, with --allow-data-loss):")
        table([(t, loss.text(t).removeprefix("at most ").removeprefix(f"{t} ") + ("" if loss.exact else " at most"))
               for t, loss in sorted(forecast.tables.items()) if loss.export_rows])
        echo(f"this {command} needs --allow-data-loss")
    else:
        echo("no row or value would leave the database")
    echo("dry run: nothing was changed")
    return EXIT_OK
