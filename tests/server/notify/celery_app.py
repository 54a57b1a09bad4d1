"""The Celery app the notify tests start workers with: the server's app, with the test policy
(short leases and backoff) applied before the task modules are imported, publishing and
consuming on this test session's own queue."""

import os

from server.notify.policy import configure
from tests.server.notify.support import TEST_POLICY

configure(**TEST_POLICY)

from server.worker import app  # noqa: E402

app.conf.task_default_queue = os.environ["DOORSTEP_TEST_CELERY_QUEUE"]

__all__ = ["app"]
