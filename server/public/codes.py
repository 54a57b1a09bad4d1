"""Tracking codes: 10 characters a resident can read over the phone and type on a cheap phone.

The alphabet leaves out the look-alikes (0/O and 1/I/L) and the lower case, so 31 symbols
remain: 31**10 ≈ 8.2e14 codes (49.5 bits) drawn from `secrets`, and lookups are rate-limited per
client address, so guessing one is hopeless.  The table stores an HMAC of the code under the
server's secret, never the code: a copy of the database is no list of codes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(code: str) -> str | None:
    """The code as stored: upper case, spaces and dashes dropped; None when it cannot be one."""
    cleaned = re.sub(r"[\s-]", "", code).upper()
    return cleaned if _SHAPE.match(cleaned) else None


def code_hash(secret: str, code: str) -> str:
    return hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()
