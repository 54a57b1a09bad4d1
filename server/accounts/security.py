"""Password hashing (argon2id) and tokens: short-lived signed access tokens, opaque refresh tokens
of which only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from functools import cache
from uuid import UUID

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
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
        return AccessClaims(UUID(claims["sub"]), UUID(claims["dev"]))
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token_expired", "the access token has expired; refresh it") from exc
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise TokenError("invalid_token", "the access token is not valid") from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
