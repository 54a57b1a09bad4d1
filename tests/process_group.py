"""Stopping a child started with `start_new_session=True` together with everything it forked
(uvicorn's workers, celery's pool, nginx's workers): the tests' and benchmarks' servers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the whole group: no shutdown handlers, no flushes."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def stop_group(proc: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM the whole group; SIGKILL it if it has not exited after `grace` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        kill_group(proc)
