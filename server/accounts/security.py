"""Password hashing (argon2id) and tokens: short-lived signed access tokens, opaque refresh tokens
of which only a hash is stored."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
import weakref
from dataclasses import dataclass
from functools import cache, lru_cache
from uuid import UUID

import anyio
import jwt
from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from server.settings import get_settings

ALGORITHM = "HS256"

#: DOORSTEP_ARGON2_PROFILE -> argon2 parameters.  "production" is argon2-cffi's default (RFC 9106
#: low-memory: 3 passes over 64 MiB); "test" lets the suite log in hundreds of times cheaply.
ARGON2_PARAMETERS: dict[str, Parameters] = {
    "production": profiles.RFC_9106_LOW_MEMORY,
    "test": profiles.CHEAPEST,
}


@cache
def password_hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(ARGON2_PARAMETERS[profile])


@cache
def _dummy_hash(profile: str) -> str:
    # Verified against when the username is unknown, so a miss costs as much time as a hit.
    return password_hasher(profile).hash("doorstep-no-such-user")


def hash_password(password: str) -> str:
    return password_hasher(get_settings().argon2_profile).hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    profile = get_settings().argon2_profile
    try:
        hasher = password_hasher(profile)
        return hasher.verify(password_hash or _dummy_hash(profile), password) and (
            password_hash is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# argon2 is deliberately slow (tens of ms of CPU each): run on the event loop, a burst of logins
# stalls every other request, health checks included.  Worker threads release the loop; the
# bound keeps a burst from taking every core and the whole default thread pool.
_HASH_THREADS = 2
# One limiter per event loop: a limiter's waiters belong to the loop that made it.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _hash_limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(_HASH_THREADS)
    return limiter


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password, limiter=_hash_limiter())


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(
        verify_password, password_hash, password, limiter=_hash_limiter()
    )


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: UUID
    device_id: UUID


class TokenError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def issue_access_token(secret: str, user_id: UUID, device_id: UUID, ttl_seconds: int) -> str:
    now = int(time.time())
    claims = {"sub": str(user_id), "dev": str(device_id), "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_access_token(secret: str, token: str) -> AccessClaims:
    try:
        claims, expires = _verified(secret, token)
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as exc:
        raise TokenError("invalid_token", "the access token is not valid") from exc
    if expires <= time.time():
        raise TokenError("token_expired", "the access token has expired; refresh it")
    return claims


@lru_cache(maxsize=50_000)
def _verified(secret: str, token: str) -> tuple[AccessClaims, float]:
    """A token's signature checked once, then remembered with its expiry (checked on each use):
    every open app sends the same token for minutes, and decoding it was 6 % of a busy server's
    time.  Only valid tokens are kept (an exception is never cached); the key holds the secret,
    so a new secret checks every token afresh.  Whether the device and user still may act is
    not cached: the caller looks that up on every request."""
    claims = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        options={"require": ["exp"], "verify_exp": False},
    )
    return AccessClaims(UUID(claims["sub"]), UUID(claims["dev"])), float(claims["exp"])


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
