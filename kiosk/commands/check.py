"""`check`: validate the database now (integrity, foreign keys, schema, history, exposure)."""

from __future__ import annotations

import json
import time

import click

from ..clock import SystemClock, to_sqlite_text
from ..db import connect
from ..maintenance import alerts, preflight, validate
from ..maintenance.runs import RunRecord
from ..schema import runner
from ..schema.files import format_version
from .output import EXIT_FAILED, EXIT_OK, echo, echo_text, print_validation, quiet
from .recorded import need_database, run_recorded


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts and monitoring.")
@click.pass_context
def check_cmd(ctx: click.Context, as_json: bool) -> int:
    """Validate the database now (integrity, foreign keys, schema, history); exit 1 on a finding."""
    target = ctx.obj["target"]
    need_database(target)
    files = runner.migration_files()
    exposed = alerts.exposure_alerts(target)  # as found: opening the database tightens it
    database = connect(target)
    started = time.perf_counter()
    run = RunRecord(command="check", started_at=to_sqlite_text(SystemClock().now()))
    pre = preflight.Preflight(set())

    def body():
        with preflight.hold(target, database, pre, need_exclusive=False):
            st = runner.status(target, database, files)
            run.from_version = run.to_version = format_version(st.schema_version)
            v = validate.validate(database, files, st.schema_version)
            v.findings[:0] = [validate.Finding("error", "history", f) for f in st.findings]
            v.findings[:0] = [validate.Finding(a.level, a.code, a.message) for a in exposed]
            run.rows_after = v.rows_after
            run.findings = [f.to_json() for f in v.findings]
            run.outcome = "failed" if any(f.level != "info" for f in v.findings) else "ok"
            if run.outcome == "failed":
                run.error = next(f.message for f in v.findings if f.level != "info")
            return v

    with quiet():  # the lock's line: this command prints its findings only
        v = run_recorded(target, database, run, started, body)
    if as_json:
        echo_text(json.dumps({"target": target.describe(), "schema_version": run.to_version, **v.to_json()}, indent=2))
    else:
        echo(f"database        {target.describe()}  schema {run.to_version}")
        print_validation(v)
    return EXIT_FAILED if run.outcome == "failed" else EXIT_OK
