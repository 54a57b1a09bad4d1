"""The delivery knobs in one place: batch sizes, timeouts, leases, retry bounds.

They are code, not environment: production runs on the defaults, and tests (which need a lease of
seconds, not minutes) call `configure()` in the process that delivers — for a Celery worker, from
the module given to `celery -A`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class DeliveryPolicy:
    #: deliveries per Celery task (one task settles its batch in a few queries)
    batch_size: int = 100
    #: concurrent push requests per process (the size of the sender's keep-alive pool)
    send_concurrency: int = 50
    #: results are written back after every this many answers, so a crash re-sends little
    settle_every: int = 50
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    #: how long a claim holds a row; a task is hard-killed before its lease can lapse
    lease_seconds: int = 300
    #: a pending row this far past its due time was not picked up: the sweep queues it again
    sweep_grace_seconds: int = 30
    sweep_limit: int = 20_000
    #: 5xx, network errors and 429 count; the row fails after this many attempts
    max_attempts: int = 8
    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 900.0
    #: a retry due within this is queued as a Celery countdown, a later one is left to the sweep
    max_countdown_seconds: int = 300
    retry_after_max_seconds: int = 3600
    #: the embedded deliverer looks at the table this often even when nobody wakes it
    local_poll_seconds: float = 2.0
    #: VAPID JWTs live this long (RFC 8292 allows at most 24 h) and are re-signed an hour early
    vapid_token_seconds: int = 12 * 3600

    @property
    def task_time_limit(self) -> int:
        return max(1, self.lease_seconds - max(1, self.lease_seconds // 10))


_policy = DeliveryPolicy()


def policy() -> DeliveryPolicy:
    return _policy


def configure(**changes: Any) -> DeliveryPolicy:
    """Replace some knobs (tests, benchmarks); returns the new policy."""
    global _policy
    _policy = replace(_policy, **changes)
    return _policy
