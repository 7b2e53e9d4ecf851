"""How maintenance results are shown in the shell: progress bars and summaries."""

from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator

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

