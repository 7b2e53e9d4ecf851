"""Files that hold personal data, and the files beside them: owner-only whatever the umask.

The database with its -wal/-shm/-journal, its side files (.lock, .presence and
.presence.d, .intent, .maintenance.jsonl), backups/ with its backups and
receipts/ with its receipts. New files are created 0600 and folders 0700 (a
umask can only take bits away from those); existing ones are tightened when the
kiosk opens them; `exposed` lists those other users can reach, for `check`,
`stats` and the booth's header.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Iterable

FILE_MODE = 0o600
DIR_MODE = 0o700
OTHERS = 0o077  # any permission for the group or the world


def open_file(path: Path | str, flags: int = os.O_RDWR) -> int:
    """os.open with O_CREAT: a new file is 0600, an existing one is tightened. Returns the fd."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    with contextlib.suppress(OSError):  # e.g. another user's file we may write: reported by `exposed`
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & OTHERS:
            os.fchmod(fd, mode & ~OTHERS)
    return fd


def create_new(path: Path | str) -> None:
    """Create an empty owner-only file; FileExistsError if there is one."""
    os.close(open_file(path, os.O_WRONLY | os.O_EXCL))


def make_dir(path: Path, *, parents: bool = False) -> Path:
    """An owner-only folder: created 0700, or tightened if it exists."""
    path.mkdir(mode=DIR_MODE, parents=parents, exist_ok=True)
    tighten(path)
    return path


def tighten(path: Path | str) -> None:
    """Take the group's and the world's permissions away, if the file exists and has any."""
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & OTHERS:
            os.chmod(path, mode & ~OTHERS)


def tighten_dir(path: Path) -> None:
    """Tighten a folder; if others could reach it, also every file in it (they were reachable)."""
    try:
        loose = stat.S_IMODE(os.stat(path).st_mode) & OTHERS
    except OSError:
        return
    if loose:
        tighten(path)
        with contextlib.suppress(OSError), os.scandir(path) as entries:
            for entry in entries:
                tighten(entry.path)


def sqlite_files(db_path: Path) -> list[Path]:
    """The database and the files SQLite keeps beside it."""
    return [db_path] + [db_path.with_name(db_path.name + s) for s in ("-wal", "-shm", "-journal")]


def side_files(db_path: Path) -> list[Path]:
    """The kiosk's own files beside the database (locks, presence, intent, run records)."""
    return [db_path.with_name(db_path.name + s) for s in (".lock", ".presence", ".presence.d", ".intent", ".maintenance.jsonl")]


def prepare_sqlite(db_path: Path) -> None:
    """Before SQLite opens the file: create it 0600 (SQLite gives its -wal and -shm the
    database's mode) or tighten it, its SQLite files and its side files."""
    with contextlib.suppress(OSError):  # SQLite's own open then says what is wrong
        os.close(open_file(db_path, os.O_RDONLY))
    for p in sqlite_files(db_path)[1:] + side_files(db_path):
        tighten(p)


def tighten_all(db_path: Path) -> None:
    """When the kiosk or maintenance opens a SQLite database: everything above that exists."""
    for p in sqlite_files(db_path) + side_files(db_path):
        tighten(p)
    for folder in (info_dir(db_path), backups_dir(db_path), receipts_dir(db_path)):
        tighten_dir(folder)


def private_paths(db_path: Path | None, backups: Path) -> list[Path]:
    """Everything `exposed` looks at for a database (None: a server database, only local files)."""
    files = sqlite_files(db_path) + side_files(db_path) if db_path is not None else []
    return files + [backups, receipts_dir(db_path)]


def info_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".presence.d")


def backups_dir(db_path: Path) -> Path:
    """`backups/` beside a SQLite file."""
    return db_path.parent / "backups"


def receipts_dir(db_path: Path | None) -> Path:
    """`receipts/` beside a SQLite file; for a server database, in the working directory."""
    return (Path(db_path).resolve().parent if db_path else Path.cwd()) / "receipts"


def exposed(paths: Iterable[Path]) -> list[tuple[Path, int]]:
    """(path, mode) of each existing path, or file in a listed folder, that others may access."""
    out = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        if st.st_mode & OTHERS:
            out.append((Path(path), stat.S_IMODE(st.st_mode)))
        if stat.S_ISDIR(st.st_mode):
            with contextlib.suppress(OSError), os.scandir(path) as entries:
                for entry in entries:
                    with contextlib.suppress(OSError):
                        mode = entry.stat().st_mode
                        if mode & OTHERS:
                            out.append((Path(entry.path), stat.S_IMODE(mode)))
    return out
