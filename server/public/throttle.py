"""Rate limits of the public endpoints: fixed-window counters per client address and per
station, counted in one atomic upsert per key (the pattern of server/accounts/throttle.py), so
a burst of concurrent requests cannot all slip under a limit between a read and a write.
Appeals written together (server/public/group_commit.py) are counted together: one statement
adds each key's hits of the whole batch, and each request learns which hit it was.

Counted in the database rather than in one process's memory, so the limits hold across every
app server and worker process (`doorstep serve --workers N`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server.http.errors import ApiError
from server.public.tables import PublicThrottle

_COUNT_SQL = (
    "INSERT INTO public_throttle (key, window_start, hits) VALUES {}"
    " ON CONFLICT (key) DO UPDATE SET"
    "  hits = CASE WHEN public_throttle.window_start < {}"
    "   THEN excluded.hits ELSE public_throttle.hits + excluded.hits END,"
    "  window_start = CASE WHEN public_throttle.window_start < {}"
    "   THEN excluded.window_start ELSE public_throttle.window_start END"
    " RETURNING key, hits, window_start"
)


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `hits` requests per `seconds` for one key."""

    name: str
    hits: int
    seconds: int


def too_many(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "too_many_requests",
        "请求过于频繁，请稍后再试 (too many requests; try again later)",
        {"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


class Throttle:
    def __init__(self) -> None:
        self._next_prune: datetime | None = None

    async def check(self, *counted: tuple[Limit, str]) -> None:
        """Count one request against each (limit, key); 429 with Retry-After past any of them.

        Every key is counted even when an earlier one is already over, so a client that keeps
        hammering stays limited for the whole window."""
        (retry_after,) = await self.count([counted])
        if retry_after:
            raise too_many(retry_after)

    async def count(self, requests: Sequence[Sequence[tuple[Limit, str]]]) -> list[int]:
        """Count several requests at once, each against its own (limit, key)s, in the order
        given; returns each request's Retry-After in seconds (0: within every limit)."""
        now = datetime.now(UTC)
        await self._prune(now)
        # key → (its limit, the requests counting it, in order)
        by_window: dict[int, dict[str, tuple[Limit, list[int]]]] = {}
        for i, counted in enumerate(requests):
            for limit, key in counted:
                name = f"{limit.name}:{key[:160]}"
                by_window.setdefault(limit.seconds, {}).setdefault(name, (limit, []))[1].append(i)
        retry_after = [0] * len(requests)
        # one statement per window length (usually one in all): a batch costs one round trip
        for seconds, keys in by_window.items():
            added = {key: len(who) for key, (_, who) in keys.items()}
            for key, (hits, started) in (await self._bump(added, now, seconds)).items():
                limit, who = keys[key]
                ends = started + timedelta(seconds=seconds)
                wait = max(int((ends - now).total_seconds()) + 1, 1)
                # the batch's hits are the last len(who) of the window, in request order
                for nth, i in enumerate(who, start=hits - len(who) + 1):
                    if nth > limit.hits:
                        retry_after[i] = max(retry_after[i], wait)
        return retry_after

    async def _bump(
        self, added: dict[str, int], now: datetime, seconds: int
    ) -> dict[str, tuple[int, datetime]]:
        """Add hits to each key (sorted, so concurrent requests lock rows in one order)."""
        keys = sorted(added)
        cutoff = now - timedelta(seconds=seconds)
        values = ", ".join("({}, {}, {})" for _ in keys)
        args = [arg for key in keys for arg in (key, now, added[key])]
        rows: list[dict[str, Any]] = await PublicThrottle.raw(
            _COUNT_SQL.replace("VALUES {}", f"VALUES {values}"), *args, cutoff, cutoff
        )
        return {
            str(row["key"]): (int(row["hits"]), _as_datetime(row["window_start"])) for row in rows
        }

    async def _prune(self, now: datetime) -> None:
        # Once an hour per process: counters older than the longest window restart anyway.
        if self._next_prune is None or now >= self._next_prune:
            self._next_prune = now + timedelta(hours=1)
            await PublicThrottle.delete().where(
                PublicThrottle.window_start < now - timedelta(days=1)
            )


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
