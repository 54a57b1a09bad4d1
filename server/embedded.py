"""Background jobs of embedded mode (`doorstep run`): what `doorstep worker` and `doorstep beat`
do in production, run inside the web process with the database as the durable queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("doorstep.embedded")

Job = Callable[[], Awaitable[None]]


class EmbeddedJobs:
    """Periodic coroutines started with the app and cancelled on shutdown."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, float, Job]] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.starters: list[Callable[[], Awaitable[None]]] = []
        self.stoppers: list[Callable[[], Awaitable[None]]] = []

    def every(self, name: str, seconds: float, job: Job) -> None:
        self.jobs.append((name, seconds, job))

    async def start(self) -> None:
        for starter in self.starters:
            await starter()
        for name, seconds, job in self.jobs:
            self.tasks.append(asyncio.create_task(self._loop(name, seconds, job), name=name))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        for stopper in self.stoppers:
            await stopper()

    async def _loop(self, name: str, seconds: float, job: Job) -> None:
        while True:
            try:
                await job()
            except Exception:
                log.exception("embedded job %s failed", name)
            await asyncio.sleep(seconds)


embedded_jobs = EmbeddedJobs()


def configure_embedded_jobs() -> EmbeddedJobs:
    """What `doorstep worker` and `doorstep beat` do in production, inside `doorstep run`."""
    from server.notify.local import start_local_deliverer, stop_local_deliverer
    from server.scheduling.runner import run_all

    async def scheduled() -> None:
        await run_all()

    if not embedded_jobs.jobs:
        embedded_jobs.starters.append(start_local_deliverer)
        embedded_jobs.stoppers.append(stop_local_deliverer)
        embedded_jobs.every("scheduled-jobs", 60, scheduled)
    return embedded_jobs
