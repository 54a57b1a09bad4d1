"""HTTP of the leaders' duty roster (领导接访): admins publish (`/api/duty`), the public reads the
roster and asks for a slot (`/api/public/duty`, no account, rate-limited, honeypot)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, Parameter
from litestar.status_codes import HTTP_201_CREATED

from server.accounts.principal import Principal
from server.http.openapi import BEARER, PUBLIC, errors
from server.public import duty
from server.public.body import decode
from server.public.controllers import _address, throttle
from server.public.schemas import Phone
from server.public.throttle import Limit

AuthRequest = Request[Principal, str, State]
AnyRequest = Request[Any, Any, State]


class ShiftIn(msgspec.Struct, forbid_unknown_fields=True):
    org_unit_id: str
    leader_id: str
    leader_title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    starts_at: str
    ends_at: str
    capacity: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10


class SlotIn(msgspec.Struct, forbid_unknown_fields=True):
    topic: Annotated[str, msgspec.Meta(min_length=2, max_length=200)]
    contact_phone: Phone
    website: Annotated[str, msgspec.Meta(max_length=500)] = ""


class DutyController(Controller):
    path = "/api/duty"
    tags = ["residents' door"]
    security = BEARER

    @get("/shifts", responses=errors(401))
    async def shifts(
        self, request: AuthRequest, org_unit_id: FromQuery[UUID | None] = None
    ) -> list[dict[str, Any]]:
        """The roster with residents' requests: admins in scope, and leaders their own shifts."""
        return await duty.listing(request.user, org_unit_id)

    @post("/shifts", status_code=HTTP_201_CREATED, responses=errors(400, 401, 403, 422))
    async def publish(self, request: AuthRequest) -> dict[str, Any]:
        """Publish a leader's shift at a hall (admins of its scope)."""
        data = decode(await request.body(), ShiftIn)
        return await duty.publish(request.user, msgspec.structs.asdict(data))


class PublicDutyController(Controller):
    path = "/api/public/duty"
    tags = ["residents' door"]
    security = PUBLIC

    @get("", responses=errors(404))
    async def roster(
        self, org_unit_id: Annotated[UUID | None, Parameter()] = None
    ) -> list[dict[str, Any]]:
        """Who receives residents where and when (upcoming shifts, soonest first)."""
        return await duty.upcoming(org_unit_id)

    @post(
        "/{shift_id:uuid}/requests",
        status_code=HTTP_201_CREATED,
        request_max_body_size=8 * 1024,
        responses=errors(400, 404, 409, 413, 429),
    )
    async def ask(self, request: AnyRequest, shift_id: FromPath[UUID]) -> dict[str, Any]:
        """A resident asks for a slot; the leader is told (without the resident's details)."""
        data = decode(await request.body(), SlotIn)
        settings = request.app.state["settings"]
        await throttle.check(
            (Limit("duty-addr", settings.public_appeals_per_address, 3600), _address(request))
        )
        if data.website.strip():
            return {"request_id": None, "shift_id": str(shift_id)}
        return await duty.ask(shift_id, data.topic.strip(), data.contact_phone.strip())
