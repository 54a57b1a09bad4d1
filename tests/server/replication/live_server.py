"""A real `doorstep serve` subprocess on the test database, for the concurrency and crash tests.

It inherits the environment conftest.py prepared (database URL, secrets, data directory), runs
in its own process group so SIGKILL takes the uvicorn supervisor and its workers at once, and
answers on a free loopback port.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.process_group import kill_group, stop_group

DOORSTEP = Path(sys.executable).with_name("doorstep")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, workers: int = 2, log_dir: Path | None = None) -> None:
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = (
            log_dir or Path(os.environ["DOORSTEP_DATA_DIR"])
        ) / f"serve-{self.port}.log"
        self.starts = 0

    def start(self, timeout: float = 30) -> None:
        assert self.proc is None, "already running"
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                str(DOORSTEP),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=dict(os.environ),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"doorstep serve exited: {self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"doorstep serve did not answer within {timeout} s: {self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown handlers, no flushes."""
        if self.proc is None:
            return
        kill_group(self.proc)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_group(self.proc)
        self.proc = None

    def tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""
