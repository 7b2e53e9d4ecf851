"""`kiosk --maintenance subject ...`: a person's data (data-protection requests)."""

from __future__ import annotations

import click

from .holds import hold_cmd


@click.group("subject")
def subject_cmd() -> None:
    """A person's data: legal holds."""


subject_cmd.add_command(hold_cmd)
