"""The data directory of `doorstep run`: private to its owner, and used by one server at a time.

It holds the SQLite database, the generated secrets and the attachments: 0700 for the
directory and 0600 for the database (SQLite gives its -wal and -shm files the database's
mode), so other accounts on the machine read nothing.  Two embedded servers on one directory
would each run a deliverer and a deadline checker over the same rows; a lock file, held with
`flock` for the life of the process and released by the kernel however it ends, makes the
second refuse to start.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO

from server.settings import Settings

LOCK_NAME = "doorstep.lock"
_held: list[IO[str]] = []


class DataDirBusy(RuntimeError):
    """Another `doorstep run` is using this data directory."""


def secure_data_dir(settings: Settings) -> None:
    """Create the data directory (0700) and the SQLite file (0600), tightening existing ones."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Created here, empty, with its final mode: SQLite would create it 0644 (the umask).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            with contextlib.suppress(FileNotFoundError):
                name.chmod(0o600)


def hold_data_dir_lock(settings: Settings) -> None:
    """Lock the data directory for this process's lifetime, or raise DataDirBusy."""
    path = settings.data_dir / LOCK_NAME
    handle = path.open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise DataDirBusy(
            f"数据目录 {settings.data_dir} 已被另一个 doorstep run 使用 (进程 {holder})；"
            f"请先停止它，或用 --data-dir 指定另一个目录。\n"
            f"The data directory {settings.data_dir} is in use by another `doorstep run` "
            f"(process {holder}); stop it first, or pass --data-dir to use another directory."
        ) from exc
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    _held.append(handle)  # open for the process's lifetime: closing it would release the lock
