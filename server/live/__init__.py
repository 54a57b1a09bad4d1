"""Live updates: change events published after commit, over Litestar's channels plugin.

`publish(events)` after a transaction commits; `subscribe(channels)` to hear them (on every app
server when Redis is configured).  The SSE stream of the command view is `server/live/stream.py`.
"""

from server.live.bus import (
    LiveUnavailable,
    Subscription,
    all_channel,
    channels_of,
    org_channel,
    publish,
    subscribe,
    user_channel,
)
from server.live.events import ChangeEvent, change_event

__all__ = [
    "ChangeEvent",
    "LiveUnavailable",
    "Subscription",
    "all_channel",
    "change_event",
    "channels_of",
    "org_channel",
    "publish",
    "subscribe",
    "user_channel",
]
