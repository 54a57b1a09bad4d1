"""Shared by the notify tests, the Celery app they start and the benchmark."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from tests.process_group import kill_group, stop_group

REPO = Path(__file__).resolve().parents[3]

#: this test session's own Celery queue, so two sessions sharing a Redis never take each
#: other's messages (their workers would look for the ids in another database)
SESSION_QUEUE = os.environ.setdefault(
    "DOORSTEP_TEST_CELERY_QUEUE", f"notify-test-{uuid.uuid4().hex[:8]}"
)

#: seconds instead of minutes, so the suite can watch leases lapse and retries come due
TEST_POLICY: dict[str, Any] = {
    "lease_seconds": 6,
    "read_timeout": 4.0,
    "connect_timeout": 1.0,
    "backoff_base_seconds": 0.3,
    "backoff_max_seconds": 1.0,
    "max_attempts": 3,
    "sweep_grace_seconds": 0,
    "local_poll_seconds": 0.2,
}


class WorkerProcess:
    """A real `celery worker` on a given broker, in its own process group (so SIGKILL takes
    the main process and its pool children together)."""

    def __init__(
        self,
        broker_url: str,
        *,
        app: str = "tests.server.notify.celery_app",
        concurrency: int = 2,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.broker_url = broker_url
        self.app = app
        self.concurrency = concurrency
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = (
            Path(os.environ.get("DOORSTEP_DATA_DIR", "/tmp")) / f"worker-{uuid.uuid4().hex[:6]}.log"
        )

    def start(self) -> WorkerProcess:
        env = {
            **os.environ,
            "DOORSTEP_REDIS_URL": self.broker_url,
            "DOORSTEP_PUSH_ALLOW_PRIVATE_ENDPOINTS": "1",
            "PYTHONPATH": str(REPO),
            **self.extra_env,
        }
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            self.app,
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(self.concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--queues",
            SESSION_QUEUE,
            "--loglevel",
            "WARNING",
            "--hostname",
            f"notify-test-{uuid.uuid4().hex[:8]}@%h",
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker: no warm shutdown, no acks, no cleanup."""
        if self.proc is not None and self.proc.poll() is None:
            kill_group(self.proc)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_group(self.proc)
        self.proc = None

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class RedisServer:
    """A private redis-server on its own port (no persistence), for broker outages."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    return self
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
