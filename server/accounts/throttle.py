"""The login rate limiter: a fixed-window counter per account and per client address.

Every attempt is counted *before* the password is checked, in one atomic statement (an upsert
that returns the new count), so a burst of concurrent guesses cannot all slip under the limit
between a read and a write: attempt N+1 sees N, whichever order they arrive in.  A successful
login gives back what it took (the account's counter is cleared, the address's decremented), so
the counters hold failures and a busy shared address (a community office behind one NAT) is not
locked out by its own successful logins.

One statement in autocommit also keeps SQLite happy under a burst: no read-then-upgrade
transaction that fails at once with "database is locked", just a short write that waits its turn
under the busy timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server.accounts.tables import LoginThrottle

_COUNT_SQL = (
    "INSERT INTO login_throttle (key, window_start, failures) VALUES ({}, {}, 1)"
    " ON CONFLICT (key) DO UPDATE SET"
    "  failures = CASE WHEN login_throttle.window_start < {}"
    "   THEN 1 ELSE login_throttle.failures + 1 END,"
    "  window_start = CASE WHEN login_throttle.window_start < {}"
    "   THEN excluded.window_start ELSE login_throttle.window_start END"
    " RETURNING failures, window_start"
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What counting one attempt decided: go ahead and check the password, or refuse."""

    allowed: bool
    retry_after: int = 0


class LoginThrottler:
    def __init__(self, window_seconds: int, per_account: int, per_address: int) -> None:
        self.window = timedelta(seconds=window_seconds)
        self.per_account = per_account
        self.per_address = per_address
        self._next_prune: datetime | None = None

    @staticmethod
    def keys(username: str, address: str) -> tuple[str, str]:
        return f"user:{username.strip().lower()[:200]}", f"addr:{address[:200]}"

    async def count_attempt(self, username: str, address: str) -> Verdict:
        """Count one attempt against the account and the address; refuse past either limit."""
        now = datetime.now(UTC)
        await self._prune(now)
        retry_after = 0
        for key, limit in zip(
            self.keys(username, address), (self.per_account, self.per_address), strict=True
        ):
            count, started = await self._bump(key, now)
            if count > limit:
                ends = started + self.window
                retry_after = max(retry_after, int((ends - now).total_seconds()) + 1, 1)
        return Verdict(allowed=retry_after == 0, retry_after=retry_after)

    async def succeeded(self, username: str, address: str) -> None:
        """A correct password: the account starts afresh, the address gets its attempt back."""
        user_key, address_key = self.keys(username, address)
        await LoginThrottle.delete().where(LoginThrottle.key == user_key)
        await LoginThrottle.update({LoginThrottle.failures: LoginThrottle.failures - 1}).where(
            LoginThrottle.key == address_key, LoginThrottle.failures > 0
        )

    async def prune(self, now: datetime | None = None) -> int:
        """Delete the counters whose window has ended (they would restart at 1 anyway)."""
        cutoff = (now or datetime.now(UTC)) - self.window
        gone = (
            await LoginThrottle.delete()
            .where(LoginThrottle.window_start < cutoff)
            .returning(LoginThrottle.key)
        )
        return len(gone)

    async def _prune(self, now: datetime) -> None:
        # At most once a window per process: the table holds one row per recent key only.
        if self._next_prune is None or now >= self._next_prune:
            self._next_prune = now + self.window
            await self.prune(now)

    async def _bump(self, key: str, now: datetime) -> tuple[int, datetime]:
        cutoff = now - self.window
        rows: list[dict[str, Any]] = await LoginThrottle.raw(_COUNT_SQL, key, now, cutoff, cutoff)
        row = rows[0]
        return int(row["failures"]), _as_datetime(row["window_start"])


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
