"""Celery tasks of the notify domain: deliver batches of outbox rows, sweep the stale ones."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from celery.signals import worker_process_init

import server.notify.runner as runner
from server.notify.delivery import deliver_batch
from server.notify.policy import policy
from server.notify.queue import DELIVER, SMS_DUE, SWEEP, queue_deliveries, queue_sms_due
from server.notify.services import stale_deliveries
from server.notify.sms import deliver_sms_async, due_sms
from server.worker import app

log = logging.getLogger(__name__)

__all__ = [
    "DELIVER",
    "SMS_DUE",
    "SWEEP",
    "deliver",
    "queue_deliveries",
    "run_sweep",
    "send_due_sms",
    "sweep",
]


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _worker_process_init(**_: Any) -> None:
    # Worker processes run every query on the delivery loop: a pool there is safe.
    runner.use_connection_pool()


@app.task(  # type: ignore[untyped-decorator]
    name=DELIVER,
    acks_late=True,
    # Killed before its claims' lease can lapse, so a slow task never races the sweep.
    time_limit=policy().task_time_limit,
)
def deliver(delivery_ids: list[int]) -> dict[str, int]:
    """Send these outbox rows; rows that must wait are queued again with their countdown.

    Retries are not Celery's `self.retry`: one batch holds rows with different outcomes, and
    the row's own `attempts`/`next_attempt_at` is the backoff state that the sweep and the
    embedded deliverer also read. Retries due beyond `max_countdown_seconds` are left to the sweep.
    """
    report = deliver_batch(delivery_ids)
    later: dict[int, list[int]] = defaultdict(list)
    for delivery_id, delay in report.retry.items():
        if delay <= policy().max_countdown_seconds:
            later[max(1, round(delay))].append(delivery_id)
    for delay, ids in sorted(later.items()):
        try:
            queue_deliveries(ids, countdown=delay)
        except Exception:
            log.warning("could not re-queue %d deliveries; the sweep will", len(ids), exc_info=True)
    return {
        "sent": len(report.sent),
        "gone": len(report.gone),
        "failed": len(report.failed),
        "retry": len(report.retry),
        "skipped": len(report.skipped),
    }


@app.task(name=SWEEP, acks_late=True, time_limit=120)  # type: ignore[untyped-decorator]
def sweep() -> int:
    """Queue deliveries left pending past the grace period (runs every minute under beat)."""
    ids = runner.run(stale_deliveries)
    if ids:
        log.info("sweep: re-queueing %d stale push deliveries", len(ids))
        queue_deliveries(ids)
    sms = runner.run(lambda: due_sms(grace_seconds=policy().sweep_grace_seconds, limit=1))
    if sms:
        queue_sms_due()
    return len(ids)


@app.task(name=SMS_DUE, acks_late=True, time_limit=policy().task_time_limit)  # type: ignore[untyped-decorator]
def send_due_sms() -> dict[str, int]:
    """Send the SMS that are due, a batch at a time; a retry due soon is queued with its
    countdown, a later one is left to the sweep."""
    ids = runner.run(lambda: due_sms(limit=policy().batch_size))
    report = runner.run(lambda: deliver_sms_async(ids))
    soon = [d for d in report.retry.values() if d <= policy().max_countdown_seconds]
    try:
        if len(ids) == policy().batch_size:
            queue_sms_due()
        if soon:
            queue_sms_due(countdown=max(1, round(min(soon))))
    except Exception:
        log.warning("could not re-queue SMS delivery; the sweep will", exc_info=True)
    return {"sent": len(report.sent), "failed": len(report.failed), "retry": len(report.retry)}


def run_sweep(**kwargs: Any) -> list[int]:
    """The sweep without Celery's wrapper (tests, `doorstep` maintenance commands)."""
    ids = runner.run(lambda: stale_deliveries(**kwargs))
    queue_deliveries(ids)
    return ids
