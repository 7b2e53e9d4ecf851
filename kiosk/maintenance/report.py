"""How maintenance results are shown in the shell: progress bars and summaries."""

from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator

from .validate import Validation

# Below this many pages (about 8 MiB) a copy is over before a bar could help.
PROGRESS_MIN_PAGES = 2048


@contextlib.contextmanager
def page_progress(stream=None) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr for long copies; nothing when stderr is not a terminal (cron)."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("copying"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(),
        console=Console(file=stream), transient=True,
    )
    state: dict = {}

    def update(done: int, total: int) -> None:
        if total < PROGRESS_MIN_PAGES:
            return
        if "task" not in state:
            progress.start()
            state["task"] = progress.add_task("copy", total=total)
        progress.update(state["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if "task" in state:
            progress.stop()


def print_validation(v: Validation, echo: Callable[[str], None]) -> None:
    errors = [f for f in v.findings if f.level == "error"]
    echo("validation   " + ("ok" if not errors else f"FAILED ({len(errors)} error(s))"))
    tables = sorted(set(v.rows_after) | set(v.rows_before or {}))
    for t in tables:
        before = (v.rows_before or {}).get(t)
        after = v.rows_after.get(t)
        if v.rows_before is None:
            echo(f"  rows {t:28} {after}")
        else:
            echo(f"  rows {t:28} {'-' if before is None else before} -> {'-' if after is None else after}")
    for f in v.findings:
        echo(f"  {f.level:8} {f.code:16} {f.message}")
    if v.backend == "postgresql":
        bad = {f.code for f in v.findings} & {"constraint_not_valid", "index_invalid", "foreign_keys"}
        echo("  constraints and indexes valid, foreign keys ok" if not bad else "  see the findings above")
    elif not any(f.code == "integrity" for f in v.findings):
        echo("  integrity_check ok, foreign_key_check ok" if not any(f.code == "foreign_keys" for f in v.findings) else "  integrity_check ok")
