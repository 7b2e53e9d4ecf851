"""A finding of a check or validation: level ("error", "warning" or "info"), code, message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    level: str
    code: str
    message: str

    def to_json(self) -> dict:
        return {"level": self.level, "code": self.code, "message": self.message}
