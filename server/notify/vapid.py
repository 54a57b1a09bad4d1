"""The server's VAPID identity (RFC 8292): its key, its public key for browsers, signed tokens.

A token is signed per audience (the push service's origin) from a fresh claims dict and kept until
an hour before it expires, so a fan-out to one push service signs once, not once per message.
"""

from __future__ import annotations

import base64
import threading
import time
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from server.notify.policy import policy
from server.settings import Settings, get_settings

DEFAULT_SUBJECT = "mailto:doorstep@localhost"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_private_key() -> str:
    """A new P-256 private key: base64url of its 32 raw bytes (for `doorstep vapid-keys`)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def _embedded_private_key(settings: Settings) -> str:
    """Embedded mode has no configured key: keep a generated one in the data directory."""
    path = settings.data_dir / ".vapid_private_key"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    value = generate_private_key()
    path.write_text(value)
    path.chmod(0o600)
    return value


def _load(text: str) -> Vapid02:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return Vapid02.from_pem(text.encode())
    # from_string accepts base64url of the 32 raw bytes or of a DER document.
    return Vapid02.from_string(text)


@lru_cache(maxsize=1)
def server_vapid() -> Vapid02:
    settings = get_settings()
    return _load(settings.vapid_private_key or _embedded_private_key(settings))


def application_server_key() -> str:
    """base64url of the uncompressed P-256 public point: the browser's `applicationServerKey`."""
    public = server_vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(public)


def subject() -> str:
    settings = get_settings()
    if settings.vapid_subject:
        return settings.vapid_subject
    if settings.public_url and settings.public_url.startswith("https://"):
        return settings.public_url.rstrip("/")
    return DEFAULT_SUBJECT


_tokens: dict[str, tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def authorization(audience: str) -> str:
    """The `Authorization: vapid t=..., k=...` value for one push service origin."""
    now = time.time()
    with _tokens_lock:
        cached = _tokens.get(audience)
        if cached is not None and cached[1] - 3600 > now:
            return cached[0]
    expires = int(now) + min(policy().vapid_token_seconds, 24 * 3600)
    # A fresh dict for every audience: pywebpush's helpers mutate the claims they are given.
    claims: dict[str, str | int] = {"aud": audience, "exp": expires, "sub": subject()}
    header = str(server_vapid().sign(claims)["Authorization"])
    with _tokens_lock:
        _tokens[audience] = (header, float(expires))
    return header


def reset_caches() -> None:
    """Forget the key and tokens (tests that switch keys or settings)."""
    server_vapid.cache_clear()
    with _tokens_lock:
        _tokens.clear()
