"""`GET /api/command/events?org_unit_id=U`: the command view's Server-Sent Events stream.

One event per committed warning, dispatch-order status change and dispute risk or status change
in U's subtree, on whichever app server it was committed (COMMAND_API.md "Command view").  Each
event's `data` is a `ChangeEvent` as JSON (ids, levels, statuses: no personal data); the client
reloads the record or the map for the rest.

The stream opens with a `: ready` comment (subscribed: anything committed from now on is sent),
sends a `: keep-alive` comment every 15 s so proxies keep the connection, an `event: resync`
when it had to drop events for a slow reader (reload the map), and ends with `event: end` when
the caller's device is signed out or the unit left their scope (checked every minute).  A
client that hangs up is unsubscribed at once.

Authentication: `Authorization: Bearer` (fetch-based clients, tests) or `ticket=` from
`POST /api/command/events/ticket` (a browser's EventSource cannot send headers; see tickets.py).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from litestar.status_codes import HTTP_200_OK

from server.accounts.principal import Principal
from server.accounts.security import AccessClaims
from server.accounts.services import AccountService
from server.http.errors import ApiError
from server.http.openapi import BEARER, PUBLIC, errors
from server.live import bus
from server.live.access import command_unit, parse_unit_id
from server.live.events import ChangeEvent, encode
from server.live.tickets import TICKET_SECONDS, issue_ticket, read_ticket
from server.org.tree import Unit, load_tree

#: seconds between keep-alive comments, and between checks that the caller may still watch
KEEPALIVE_SECONDS = 15.0
RECHECK_SECONDS = 60.0
#: what the browser waits before reconnecting after a dropped connection (ms)
RETRY_MS = 3000

#: what the command stream carries: every change of a warning; an order's or a dispute's
#: creation, deletion and changes of these fields
COMMAND_STREAM: dict[str, frozenset[str] | None] = {
    "warnings": None,
    "dispatch_orders": frozenset({"status", "escalation_level", "overdue", "checkin_status"}),
    "disputes": frozenset({"risk_level", "status"}),
}


def on_command_stream(event: ChangeEvent) -> bool:
    if event.collection not in COMMAND_STREAM:
        return False
    watched = COMMAND_STREAM[event.collection]
    return watched is None or event.op != "updated" or bool(watched & set(event.fields))


def _accounts(request: Request[Any, Any, State]) -> AccountService:
    service: AccountService = request.app.state["accounts"]
    return service


async def _caller(
    request: Request[Any, Any, State], ticket: str | None, org_unit_id: str | None
) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return await _accounts(request).authenticate(token.strip())
    if ticket:
        unit = parse_unit_id(org_unit_id)  # a ticket opens one unit's stream only
        claims = read_ticket(_accounts(request).secret_key, ticket, unit)
        return await _accounts(request).principal_of(claims)
    raise ApiError(
        401,
        "unauthorized",
        "请先登录：发送 Authorization: Bearer 或 ticket 参数 (log in first: send a bearer token "
        "or a ticket from POST /api/command/events/ticket)",
    )


class LiveController(Controller):
    path = "/api/command/events"
    tags = ["command"]

    @post(
        "/ticket",
        status_code=HTTP_200_OK,
        security=BEARER,
        responses=errors(400, 401, 403, 404),
    )
    async def ticket(
        self,
        request: Request[Principal, str, State],
        org_unit_id: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> dict[str, Any]:
        """A 60-second ticket that opens this unit's event stream from an EventSource."""
        unit = command_unit(request.user, await load_tree(), org_unit_id)
        ticket = issue_ticket(
            _accounts(request).secret_key, request.user.user_id, request.user.device_id, unit.id
        )
        return {
            "ticket": ticket,
            "expires_in": TICKET_SECONDS,
            "url": f"/api/command/events?org_unit_id={unit.id}&ticket={ticket}",
        }

    @get(
        "/",
        media_type="text/event-stream",
        security=PUBLIC,  # authenticated here: by bearer header or by ticket (see the module)
        responses=errors(400, 401, 403, 404),
    )
    async def events(
        self,
        request: Request[Any, Any, State],
        org_unit_id: Annotated[str | None, Parameter(max_length=64)] = None,
        ticket: Annotated[str | None, Parameter(max_length=2000)] = None,
    ) -> ServerSentEvent:
        """Server-Sent Events: each committed warning, order status change and risk change in
        the unit's subtree (`data` is the change event as JSON)."""
        principal = await _caller(request, ticket, org_unit_id)
        unit = command_unit(principal, await load_tree(), org_unit_id)
        return ServerSentEvent(_stream(_accounts(request), principal, unit))


async def _still_allowed(accounts: AccountService, principal: Principal, unit: Unit) -> bool:
    try:
        now = await accounts.principal_of(AccessClaims(principal.user_id, principal.device_id))
        command_unit(now, await load_tree(), str(unit.id))
    except ApiError:
        return False
    return True


async def _stream(
    accounts: AccountService, principal: Principal, unit: Unit
) -> AsyncIterator[ServerSentEventMessage]:
    async with bus.subscribe([bus.org_channel(unit.id)]) as subscription:
        yield ServerSentEventMessage(data=None, comment="ready", retry=RETRY_MS)
        checked = time.monotonic()
        while True:
            event = await subscription.get(KEEPALIVE_SECONDS)
            if subscription.dropped:
                subscription.dropped = 0
                yield ServerSentEventMessage(data='{"reason": "overflow"}', event="resync")
            if event is None:
                yield ServerSentEventMessage(data=None, comment="keep-alive")
            elif on_command_stream(event):
                yield ServerSentEventMessage(
                    data=encode(event).decode(),
                    id=f"{event.collection}:{event.id}:{event.version}",
                )
            if time.monotonic() - checked >= RECHECK_SECONDS:
                checked = time.monotonic()
                if not await _still_allowed(accounts, principal, unit):
                    yield ServerSentEventMessage(data='{"reason": "forbidden"}', event="end")
                    return
