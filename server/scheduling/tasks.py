"""The Celery task that runs the scheduled jobs, once a minute from `doorstep beat`.

Its name stays `events.run_jobs` (the beat schedule and running workers know it by that name)."""

from __future__ import annotations

import asyncio

from server.scheduling.runner import run_all
from server.worker import app

RUN_JOBS = "events.run_jobs"


@app.task(name=RUN_JOBS, acks_late=True, time_limit=300)  # type: ignore[untyped-decorator]
def run_jobs() -> dict[str, int]:
    """Deadlines, unacknowledged red warnings and reminders; safe to run twice."""
    return asyncio.run(run_all())
