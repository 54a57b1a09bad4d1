"""The Celery application (`doorstep worker`, `doorstep beat`) and its whole beat schedule.

Tasks live in their domains (`server/<domain>/tasks.py`); the schedule lives here, in one place.
Messages carry outbox ids only: the database is the source of truth, so acks are late, a worker
takes one message at a time, and a lost message is found again by a sweep.
With no `DOORSTEP_REDIS_URL` (embedded mode) nothing here runs: `doorstep run` delivers through
`server.notify.local`, which calls the same delivery function, and runs the same scheduled jobs
in-process (`server/embedded.py`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery
from celery.schedules import crontab

import server  # noqa: F401 - sets PICCOLO_CONF before any table is used
from server.settings import get_settings

#: the beat schedule: every periodic job of the server
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Re-queue push deliveries left pending: a lost kick, a broker outage, a killed worker.
    "notify-sweep": {"task": "notify.sweep", "schedule": timedelta(minutes=1)},
    # Dispatch-order deadlines (overdue -> chase -> escalation), unacknowledged red warnings
    # sent again one level up, psych reminders: read from the database every minute
    # (server/scheduling/runner.py; each job is safe to run twice).
    "events-run-jobs": {"task": "events.run_jobs", "schedule": timedelta(minutes=1)},
    # The month just closed (Beijing time) as stored workbooks of the district and its streets:
    # 00:30 UTC on the 1st is 08:30 in Beijing (server/command/archive.py).
    "command-monthly-reports": {
        "task": "command.build_last_month_reports",
        "schedule": crontab(minute="30", hour="0", day_of_month="1"),
    },
}

TASK_MODULES = ["server.notify.tasks", "server.scheduling.tasks", "server.command.tasks"]


def make_celery() -> Celery:
    settings = get_settings()
    celery = Celery(
        "doorstep",
        # Embedded mode never publishes; "memory://" keeps imports working without Redis.
        broker=settings.redis_url or "memory://",
        include=TASK_MODULES,
    )
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        # A publish during a broker outage gives up quickly: the outbox row is already durable
        # and the sweep queues it once the broker is back.
        task_publish_retry_policy={
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.2,
        },
        broker_transport_options={
            "visibility_timeout": 3600,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
        worker_hijack_root_logger=False,
        beat_schedule=BEAT_SCHEDULE,
    )
    return celery


app = make_celery()
#: the name `doorstep worker` / `doorstep beat` use
celery_app = app
