"""Notify: push subscriptions, the push delivery outbox and its delivery (Web Push, VAPID).

The names other domains use are re-exported here; see `services` for the outbox contract.
"""

from server.notify.local import start_local_deliverer, stop_local_deliverer
from server.notify.services import (
    SubscriptionService,
    encode_payload,
    enqueue_push,
    kick,
    kick_async,
    make_topic,
    ttl_until,
)

__all__ = [
    "SubscriptionService",
    "encode_payload",
    "enqueue_push",
    "kick",
    "kick_async",
    "make_topic",
    "start_local_deliverer",
    "stop_local_deliverer",
    "ttl_until",
]
