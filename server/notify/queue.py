"""Publishing delivery work to the Celery workers, by task name.

Below `services` (which publishes after a commit) and `tasks` (which defines the tasks and
re-queues), so neither has to import the other: the task is named, not imported.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.notify.policy import policy
from server.worker import app

DELIVER = "notify.deliver"
SWEEP = "notify.sweep"
SMS_DUE = "notify.sms_due"


def queue_deliveries(delivery_ids: Sequence[int], countdown: float | None = None) -> None:
    """Publish `notify.deliver` tasks of up to `batch_size` ids (raises if the broker is down)."""
    size = policy().batch_size
    for start in range(0, len(delivery_ids), size):
        batch = [int(i) for i in delivery_ids[start : start + size]]
        app.send_task(DELIVER, args=[batch], countdown=countdown)


def queue_sms_due(countdown: float | None = None) -> None:
    """Publish one `notify.sms_due` task: send the SMS that are due (raises if the broker is
    down; the sweep sends them then)."""
    app.send_task(SMS_DUE, countdown=countdown)
