"""Pull cursors, signed (issue 9, item 6).

A cursor tells the server where a device's feed stands and which role, org unit and scope epoch
it was computed for; the server trusts those fields to decide what to `evict`.  An unsigned
cursor let a grid worker claim a district admin's scope and receive an evict list naming records
outside their own (and cost a whole-feed scan).  So a cursor is now
`base64url(msgspec JSON payload) "." base64url(HMAC-SHA256 tag)`, keyed by a key derived from the
server's secret, and bound to the user it was issued to.  Anything else, including the unsigned
cursors of earlier versions, is a 400 `invalid_request` with `details.field = "cursor"` and a
`details.reason` (the code SYNC_PROTOCOL.md already gives a bad cursor; docs/sync.md says why not
`reset`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import msgspec

from server.http.errors import ApiError

_TAG_BYTES = 16  # 128 bits: forging needs 2^128 guesses, and keeps the cursor short
_LABEL = b"doorstep/pull-cursor/v1"


class Cursor(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """What a pull cursor carries; array_like keeps the encoded form small."""

    seq: int
    epoch: int
    role: str
    org: str | None
    user: str
    #: `specs.rules_fingerprint()` when issued; cursors from before it existed decode as ""
    rules: str = ""
    #: the compaction horizon when issued: a later compaction above `seq` answers `reset`
    horizon: int = 0


def cursor_key(secret_key: str) -> bytes:
    """A key for cursors only, so a cursor tag can never double as any other signature."""
    return hmac.new(secret_key.encode(), _LABEL, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode())


def _tag(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_TAG_BYTES]


def encode_cursor(key: bytes, cursor: Cursor) -> str:
    payload = msgspec.json.encode(cursor)
    return f"{_b64(payload)}.{_b64(_tag(key, payload))}"


def _refused(reason: str) -> ApiError:
    return ApiError(
        400,
        "invalid_request",
        "the cursor is not one this server issued to you: pull again without a cursor",
        {"field": "cursor", "reason": reason},
    )


def decode_cursor(key: bytes, text: str, user_id: str) -> Cursor:
    """The cursor this server issued to `user_id`, or a 400: never trust an unsigned field."""
    body, dot, tag_text = text.partition(".")
    if not dot:
        raise _refused("unsigned")
    try:
        payload, tag = _unb64(body), _unb64(tag_text)
    except (ValueError, binascii.Error) as exc:
        raise _refused("malformed") from exc
    if not hmac.compare_digest(tag, _tag(key, payload)):
        raise _refused("bad_signature")
    try:
        cursor = msgspec.json.decode(payload, type=Cursor)
    except msgspec.DecodeError as exc:  # signed by us yet unreadable: an older layout
        raise _refused("malformed") from exc
    if cursor.user != user_id:
        raise _refused("other_user")
    if cursor.seq < 0:
        raise _refused("malformed")
    return cursor


__all__ = ["Cursor", "cursor_key", "decode_cursor", "encode_cursor"]
