"""Password hashing (argon2id) and tokens: short-lived signed access tokens, opaque refresh tokens
of which only a hash is stored."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from uuid import UUID

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a miss costs as much time as a hit.
_DUMMY_HASH = _hasher.hash("doorstep-no-such-user")
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
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
