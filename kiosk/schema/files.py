"""The migration files: where they are, what version each is, and their checksums."""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


from ..errors import KioskError, UsageError

# peewee-migrate's Router.filemask, copied so that reading the schema's state at start-up does not
# import peewee-migrate (50 ms, it pulls in unittest.mock); tests/test_schema_paths.py keeps them equal.
FILEMASK = re.compile(r"[\d]{3}_[^\.]+\.py$")

_NAME_VERSION = re.compile(r"^\d{3}_v(\d+)_(\d+)_(\d+)__\w+$")

Version = tuple[int, ...]
EMPTY: Version = ()


def parse_version(text: str) -> Version:
    """'1.2.0' (or 'v1.2.0') -> (1, 2, 0); '0' -> () meaning an empty schema."""
    raw = str(text).strip().lower().removeprefix("v")
    if raw == "0":
        return EMPTY
    if not re.fullmatch(r"\d+\.\d+\.\d+", raw):
        raise UsageError(f"'{text}' is not a schema version: write it as MAJOR.MINOR.PATCH, e.g. 1.2.0, or 0 for an empty schema")
    return tuple(int(p) for p in raw.split("."))


def format_version(version: Version | None) -> str:
    return ".".join(map(str, version)) if version else "0"


@dataclass(frozen=True)
class MigrationFile:
    name: str  # file stem, as peewee-migrate records it
    path: Path
    version: Version
    checksum: str
    title: str
    migrate: Callable = field(repr=False, compare=False)
    rollback: Callable = field(repr=False, compare=False)
    up: dict = field(repr=False, compare=False, default_factory=dict)
    down: dict = field(repr=False, compare=False, default_factory=dict)

    @property
    def version_text(self) -> str:
        return format_version(self.version)


def migrations_dir() -> Path:
    """The packaged migrations folder (the repository's migrations/ in a checkout).

    `KIOSK_MIGRATIONS_DIR` points elsewhere: for rehearsing a release's
    migrations and for tests that need a slow or failing version.
    """
    override = os.environ.get("KIOSK_MIGRATIONS_DIR")
    if override:
        return Path(override).expanduser().absolute()
    return Path(str(importlib.resources.files("kiosk_migrations")))


def load_migrations(folder: Path | None = None) -> list[MigrationFile]:
    """Read every migration file; refuse a folder that holds none or is inconsistent.

    peewee-migrate's own Router would silently create an empty folder and find
    nothing to do; here an empty or missing folder is an error.
    """
    folder = Path(folder) if folder is not None else migrations_dir()
    if not folder.is_dir():
        raise KioskError(f"migrations folder {folder} does not exist: reinstall the kiosk")
    names = sorted(p.stem for p in folder.iterdir() if FILEMASK.match(p.name))
    if not names:
        raise KioskError(f"no migration files in {folder}: reinstall the kiosk")
    result: list[MigrationFile] = []
    for name in names:
        path = folder / f"{name}.py"
        source = path.read_bytes()
        scope: dict = {"__file__": str(path), "__name__": f"kiosk_migrations.{name}"}
        exec(compile(source, str(path), "exec", dont_inherit=True), scope)
        declared = scope.get("VERSION")
        if not isinstance(declared, str):
            raise KioskError(f"migration {name} does not declare VERSION")
        version = parse_version(declared)
        match = _NAME_VERSION.match(name)
        if not match or tuple(int(g) for g in match.groups()) != version:
            raise KioskError(f"migration file {name}.py does not carry its VERSION {declared} in its name (NNN_vX_Y_Z__title.py)")
        if result and version <= result[-1].version:
            raise KioskError(f"migration {name} ({declared}) is not newer than {result[-1].name}")
        doc = (scope.get("__doc__") or name).strip().splitlines()[0]
        doc = doc.removeprefix(declared).lstrip(" -:")
        result.append(
            MigrationFile(
                name=name,
                path=path,
                version=version,
                checksum=hashlib.sha256(source).hexdigest(),
                title=doc,
                migrate=scope["migrate"],
                rollback=scope["rollback"],
                up=scope.get("UP", {}),
                down=scope.get("DOWN", {}),
            )
        )
    return result


def resolve_target_version(text: str, files: list[MigrationFile]) -> Version:
    """A user-given version, checked against the versions that exist."""
    version = parse_version(text)
    known = [f.version for f in files]
    if version != EMPTY and version not in known:
        allowed = ", ".join(["0"] + [format_version(v) for v in known])
        raise UsageError(f"unknown schema version {format_version(version)}: choose one of {allowed}")
    return version
