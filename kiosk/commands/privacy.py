"""`privacy`: the proof of storage limitation (docs/operations.md, "Proof of storage limitation")."""

from __future__ import annotations

import json

import click

from ..db import connect
from ..maintenance import privacy_proof
from ..startup import require_latest
from .output import echo, echo_text
from .recorded import need_database


@click.command("privacy")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts and records.")
@click.option("--days", type=click.IntRange(1, privacy_proof.MAX_DAYS), default=privacy_proof.DEFAULT_DAYS,
              show_default=True, metavar="N", help=f"Expiry runs of the last N days (1-{privacy_proof.MAX_DAYS}).")
@click.pass_context
def privacy_cmd(ctx: click.Context, as_json: bool, days: int) -> int:
    """The retention and its history, the oldest personal data against it, expiry runs, holds and
    requests; read-only. Exit 0 nothing to act on, 4 findings."""
    target = ctx.obj["target"]
    need_database(target)
    database = connect(target, readonly=True)
    require_latest(target, database)
    proof = privacy_proof.collect(target, database, days=days)
    if as_json:
        echo_text(json.dumps(proof.to_json(), indent=2, default=str))
    else:
        for line in proof.lines():
            echo(line)
    return proof.exit_code
