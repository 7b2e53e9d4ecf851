"""The booth as the headless commands use it: opened at the latest schema, acting as HEADLESS
(the machine's operator, every permission, no PIN), and its refusals as one line and an exit code."""

from __future__ import annotations

from typing import Callable, TypeVar

import click

from ..booth import HEADLESS, Booth, BoothError
from ..booth.receipts import receipts_dir_for
from ..db import Target, connect
from ..errors import ErrorCode, KioskError, UsageError
from ..startup import require_latest

T = TypeVar("T")


def open_booth(ctx: click.Context) -> tuple[Target, Booth]:
    """The target and a headless Booth on it (receipts: this machine's `receipts/`). No database, or one
    not at the latest schema: a one-line error, nothing created."""
    target = ctx.obj["target"]
    if not target.exists():
        raise KioskError(f"no database at {target.describe()}: start the kiosk or run 'kiosk --maintenance migrate' first")
    database = connect(target)
    require_latest(target, database)
    return target, Booth(database, receipts_dir=receipts_dir_for(target), actor=HEADLESS)


def headless_booth(ctx: click.Context) -> Booth:
    return open_booth(ctx)[1]


def run(fn: Callable[[], T], usage_codes: tuple[ErrorCode, ...] = (ErrorCode.INVALID,),
        named_only: bool = False) -> T:
    """A BoothError as the command's one line: bad input (`usage_codes`; with `named_only`, only when
    the error names a field) is usage (exit 2), anything else failed (1)."""
    try:
        return fn()
    except BoothError as exc:
        if exc.code in usage_codes and (not named_only or exc.field is not None):
            raise UsageError(exc.message) from None
        raise
