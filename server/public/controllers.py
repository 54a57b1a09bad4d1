"""HTTP of the residents' door.  `/api/public/*` needs no account (server/accounts/auth.py lists
it as public); the triage endpoints are for hall staff, with the usual bearer token and scope.
Thin: decisions are in the modules named by each handler."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from server.accounts.principal import Principal
from server.http.errors import ApiError
from server.http.openapi import BEARER, PUBLIC, errors
from server.public import appeals, codes, subscriptions, tracking, triage, uploads
from server.public.body import decode
from server.public.schemas import (
    AcceptIn,
    AppealCreated,
    AppealIn,
    AppealStatus,
    MergeIn,
    PushIn,
    PushOut,
    RatingIn,
    RatingOut,
    RejectIn,
    TriageItem,
    TriageOut,
)
from server.public.throttle import Limit, Throttle
from server.settings import Settings

AnyRequest = Request[Any, Any, State]
AuthRequest = Request[Principal, str, State]

#: a public appeal's body: text, a phone number and a few photo hashes fit many times over
MAX_APPEAL_BODY = 64 * 1024
throttle = Throttle()


def _secret(request: AnyRequest) -> str:
    return str(request.app.state["accounts"].secret_key)


def _settings(request: AnyRequest) -> Settings:
    settings: Settings = request.app.state["settings"]
    return settings


def _address(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


def page_base(request: AnyRequest) -> str:
    """Where residents open the app: DOORSTEP_PUBLIC_URL, else the address they called."""
    configured = _settings(request).public_url
    return (configured or str(request.base_url)).rstrip("/")


async def _count_lookup(request: AnyRequest) -> None:
    limit = Limit("lookup", _settings(request).public_lookups_per_address, 600)
    await throttle.check((limit, _address(request)))


class PublicAppealController(Controller):
    path = "/api/public"
    tags = ["residents' door"]
    security = PUBLIC

    @post(
        "/appeals",
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_APPEAL_BODY,
        responses=errors(400, 404, 413, 422, 429),
    )
    async def submit(self, request: AnyRequest) -> Response[AppealCreated]:
        """A resident's appeal (no account): becomes a dispute waiting in the hall's triage."""
        data = decode(await request.body(), AppealIn)
        settings = _settings(request)
        from server.org.tree import load_tree

        place = appeals.find_place(await load_tree(), data)
        station_key = place.station.code if place.station else place.community.code
        limits = (
            (Limit("appeal-addr", settings.public_appeals_per_address, 3600), _address(request)),
            (Limit("appeal-station", settings.public_appeals_per_station, 3600), station_key),
        )
        if data.website.strip():
            # The honeypot: counted, then answered like a success so the bot moves on; nothing
            # is stored, nobody is told, no warning is raised.
            await throttle.check(*limits)
            code, created = codes.new_code(), True
        else:
            # counted with the appeals written in the same batch (server/public/appeals.py)
            code, created = await appeals.submit(data, _secret(request), place, limits)
        return Response(
            AppealCreated(
                tracking_code=code,
                status_url=f"/api/public/appeals/{code}",
                page_url=f"{page_base(request)}/#/public/track/{code}",
            ),
            status_code=HTTP_201_CREATED if created else HTTP_200_OK,
        )

    @put(
        "/attachments/{sha256:str}",
        status_code=HTTP_201_CREATED,
        request_max_body_size=uploads.MAX_BYTES,
        responses=errors(400, 413, 415, 422, 429),
    )
    async def upload(self, request: AnyRequest, sha256: FromPath[str]) -> Response[dict[str, Any]]:
        """A photo for a public appeal: JPEG, PNG or WebP, at most 2 MiB, named by its SHA-256."""
        settings = _settings(request)
        await throttle.check(
            (Limit("upload-addr", settings.public_appeals_per_address * 6, 3600), _address(request))
        )
        created, meta = await uploads.store(sha256, await request.body())
        return Response(meta, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/appeals/{tracking_code:str}", responses=errors(404, 429))
    async def status(self, request: AnyRequest, tracking_code: FromPath[str]) -> AppealStatus:
        """An appeal's status and public timeline, by its tracking code (rate-limited)."""
        await _count_lookup(request)
        return await tracking.status_of(_secret(request), tracking_code)

    @post(
        "/appeals/{tracking_code:str}/rating",
        status_code=HTTP_200_OK,
        request_max_body_size=8 * 1024,
        responses=errors(400, 404, 409, 413, 429),
    )
    async def rate(self, request: AnyRequest, tracking_code: FromPath[str]) -> RatingOut:
        """The resident's rating, once the dispute is resolved; `unsatisfied` reopens it."""
        data = decode(await request.body(), RatingIn)
        await _count_lookup(request)
        return await tracking.rate(_secret(request), tracking_code, data)

    @post(
        "/appeals/{tracking_code:str}/push",
        status_code=HTTP_201_CREATED,
        request_max_body_size=8 * 1024,
        responses=errors(400, 404, 413, 422, 429),
    )
    async def push(self, request: AnyRequest, tracking_code: FromPath[str]) -> PushOut:
        """Subscribe this browser to the appeal's status changes (Web Push, no account)."""
        data = decode(await request.body(), PushIn)
        await _count_lookup(request)
        appeal = await tracking.find(_secret(request), tracking_code)
        await subscriptions.subscribe(appeal, data)
        return PushOut(subscribed=True)


class TriageController(Controller):
    path = "/api/triage"
    tags = ["residents' door"]
    security = BEARER

    @get("/appeals", responses=errors(400, 401, 403, 404))
    async def listing(
        self,
        request: AuthRequest,
        org_unit_id: FromQuery[UUID | None] = None,
        triage_state: Annotated[str | None, QueryParameter(name="triage")] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 200,
    ) -> list[TriageItem]:
        """Public appeals of the caller's communities (default: pending first, newest first)."""
        return await triage.listing(request.user, org_unit_id, triage_state, limit)

    @post(
        "/appeals/{appeal_id:uuid}/accept",
        status_code=HTTP_200_OK,
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def accept(self, request: AuthRequest, appeal_id: FromPath[UUID]) -> TriageOut:
        """Accept as a dispute of a grid, with its service type."""
        return await triage.accept(request.user, appeal_id, decode(await request.body(), AcceptIn))

    @post(
        "/appeals/{appeal_id:uuid}/merge",
        status_code=HTTP_200_OK,
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def merge(self, request: AuthRequest, appeal_id: FromPath[UUID]) -> TriageOut:
        """Merge a duplicate into an existing dispute of the same community."""
        return await triage.merge(request.user, appeal_id, decode(await request.body(), MergeIn))

    @post(
        "/appeals/{appeal_id:uuid}/reject",
        status_code=HTTP_200_OK,
        responses=errors(400, 401, 403, 404, 409, 422),
    )
    async def reject(self, request: AuthRequest, appeal_id: FromPath[UUID]) -> TriageOut:
        """Reject as spam, with a reason the resident reads."""
        return await triage.reject(request.user, appeal_id, decode(await request.body(), RejectIn))


__all__ = ["ApiError", "PublicAppealController", "TriageController"]
