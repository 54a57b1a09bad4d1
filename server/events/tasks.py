"""Celery tasks of the events domain: the scheduled jobs, once a minute from `doorstep beat`."""

from __future__ import annotations

import asyncio

from server.events.jobs import run_all
from server.worker import app

RUN_JOBS = "events.run_jobs"


@app.task(name=RUN_JOBS, acks_late=True, time_limit=300)  # type: ignore[untyped-decorator]
def run_jobs() -> dict[str, int]:
    """Deadlines, unacknowledged red warnings and reminders; safe to run twice."""
    return asyncio.run(run_all())
