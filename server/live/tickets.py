"""Stream tickets: how a browser's EventSource, which cannot send headers, opens the stream.

The app asks `POST /api/command/events/ticket?org_unit_id=U` with its access token and gets a
ticket: a signed token naming the user, the device and U, valid for 60 seconds, that opens
`GET /api/command/events?org_unit_id=U&ticket=...` (and its automatic reconnects within that
minute).  Not the access token itself in the URL: URLs end up in proxy logs and browser
history, and a leaked ticket opens one unit's event stream (ids and levels, no personal data)
for a minute, never the API.  Tickets are signed with a key derived from the secret key and
carry an audience, so a ticket is not an access token and an access token is not a ticket.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from uuid import UUID

import jwt

from server.accounts.security import ALGORITHM, AccessClaims
from server.http.errors import ApiError

TICKET_SECONDS = 60
AUDIENCE = "doorstep-live-stream"


def _key(secret: str) -> str:
    return hmac.new(secret.encode(), b"doorstep live stream tickets", hashlib.sha256).hexdigest()


def issue_ticket(secret: str, user_id: UUID, device_id: UUID, org_unit_id: UUID) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "dev": str(device_id),
        "org": str(org_unit_id),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + TICKET_SECONDS,
    }
    return jwt.encode(claims, _key(secret), algorithm=ALGORITHM)


def read_ticket(secret: str, ticket: str, org_unit_id: UUID) -> AccessClaims:
    """The user and device a ticket was issued to, if it is valid for this unit's stream."""
    try:
        claims = jwt.decode(
            ticket,
            _key(secret),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "aud", "sub", "dev", "org"]},
        )
        if claims["org"] != str(org_unit_id):
            raise ApiError(
                401,
                "invalid_token",
                "该凭证不是为这个组织单位签发的 (this ticket was issued for another org unit)",
            )
        return AccessClaims(UUID(claims["sub"]), UUID(claims["dev"]))
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(
            401, "token_expired", "实时连接凭证已过期，请重新获取 (the stream ticket has expired)"
        ) from exc
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise ApiError(
            401, "invalid_token", "实时连接凭证无效 (the stream ticket is not valid)"
        ) from exc
