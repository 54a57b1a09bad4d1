"""HTTP for volunteers: invites (community admins), the public join page's redeem call, a
volunteer's own points and awards, the leaderboard and the points rules.  Thin: scope checks
here, the work in `invites.py`, `services.py` and `points.py`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.datastructures import State
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from server.accounts.principal import Principal
from server.http.errors import ApiError
from server.http.openapi import BEARER, PUBLIC, errors
from server.org.tree import OrgTree, load_tree
from server.permissions import ADMIN_ROLES, COMMUNITY_STAFF, in_scope, scope_root
from server.settings import Settings
from server.volunteers import invites, points, services
from server.volunteers.directory import VOLUNTEER_ROLE
from server.volunteers.schemas import (
    InviteIn,
    InviteListItem,
    InviteOut,
    JoinIn,
    JoinOut,
    LeaderboardRow,
    MeOut,
    PreferencesIn,
    RulesIn,
    RulesOut,
)

AuthRequest = Request[Principal, str, State]


def _forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def _community_admin_of(p: Principal, tree: OrgTree, community_id: UUID | None) -> UUID:
    """The community an admin acts for (their own by default), checked to be in scope."""
    if p.role not in ADMIN_ROLES:
        raise _forbidden("只有社区管理员可以操作 (only community admins do this)")
    target = community_id or tree.nearest(p.org_unit_id, "community")
    unit = tree.get(target)
    if target is None or unit is None or unit.kind != "community":
        raise ApiError(
            422,
            "validation",
            "community_id 必须是社区 (community_id must name a community)",
            {"field": "community_id"},
        )
    if not in_scope(p, tree, target):
        raise _forbidden("这个社区不在您的管辖范围 (that community is outside your scope)")
    return target


def _client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class VolunteersController(Controller):
    path = "/api/volunteers"
    tags = ["volunteers"]
    security = BEARER

    @post("/invites", status_code=HTTP_201_CREATED, responses=errors(400, 401, 403, 413, 422))
    async def create_invite(self, request: AuthRequest, data: JSONBody[InviteIn]) -> InviteOut:
        """A single-use invite code (and its QR code) for one community; shown once."""
        tree = await load_tree()
        community = _community_admin_of(request.user, tree, data.community_id)
        settings: Settings = request.app.state.settings
        made = await invites.create_invite(
            community, request.user.user_id, settings.public_url or str(request.base_url)
        )
        return InviteOut(**made)

    @get("/invites", responses=errors(400, 401, 403, 422))
    async def list_invites(
        self, request: AuthRequest, community_id: FromQuery[UUID | None] = None
    ) -> list[InviteListItem]:
        """The invites of a community: when each was made, used, by whom (never the code)."""
        tree = await load_tree()
        community = _community_admin_of(request.user, tree, community_id)
        return [InviteListItem(**i) for i in await invites.list_invites([community])]

    @get("/me", responses=errors(401, 403))
    async def me(self, request: AuthRequest) -> MeOut:
        """My points (each entry), my awards and each award's steps up to payment."""
        if request.user.role != VOLUNTEER_ROLE:
            raise _forbidden("只有志愿者有积分和奖励 (only volunteers have points and awards)")
        return msgspec.convert(await services.my_summary(request.user.user_id), MeOut)

    @put("/me/preferences", responses=errors(400, 401, 403, 413))
    async def preferences(self, request: AuthRequest, data: JSONBody[PreferencesIn]) -> MeOut:
        """Whether my name shows on the leaderboard."""
        if request.user.role != VOLUNTEER_ROLE:
            raise _forbidden("只有志愿者可以设置 (only volunteers set this)")
        await services.set_show_name(request.user.user_id, request.user.org_unit_id, data.show_name)
        return msgspec.convert(await services.my_summary(request.user.user_id), MeOut)

    @get("/leaderboard", responses=errors(400, 401, 403, 422))
    async def leaderboard(
        self, request: AuthRequest, community_id: FromQuery[UUID | None] = None
    ) -> list[LeaderboardRow]:
        """Points per volunteer in a community; names only of those who chose to show them."""
        p = request.user
        tree = await load_tree()
        if p.role == VOLUNTEER_ROLE:
            own = p.org_unit_id
            if community_id is not None and community_id != own:
                raise _forbidden("志愿者只能看本社区排行 (volunteers see their own community)")
            target = own
        else:
            if p.role not in COMMUNITY_STAFF | ADMIN_ROLES:
                raise _forbidden("your role has no leaderboard")
            target = community_id or tree.nearest(scope_root(p, tree), "community")
            if target is None or not in_scope(p, tree, target):
                raise _forbidden("这个社区不在您的管辖范围 (that community is outside your scope)")
        assert target is not None
        rows = await services.leaderboard(target, p.user_id)
        return [LeaderboardRow(**r) for r in rows]

    @get("/rules", responses=errors(400, 401, 403, 422))
    async def rules(
        self, request: AuthRequest, community_id: FromQuery[UUID | None] = None
    ) -> RulesOut:
        tree = await load_tree()
        p = request.user
        if p.role == VOLUNTEER_ROLE:
            community = p.org_unit_id
        else:
            community = _community_admin_of(p, tree, community_id)
        assert community is not None
        current = await points.rules_of(community)
        return RulesOut(community_id=str(community), **current)

    @put("/rules", status_code=HTTP_200_OK, responses=errors(400, 401, 403, 413, 422))
    async def set_rules(self, request: AuthRequest, data: JSONBody[RulesIn]) -> RulesOut:
        """Points per event in a community, applied by the server when a report is answered."""
        tree = await load_tree()
        community = _community_admin_of(request.user, tree, data.community_id)
        changes = {
            k: v
            for k, v in msgspec.structs.asdict(data).items()
            if k != "community_id" and v is not msgspec.UNSET
        }
        await points.set_rules(community, changes, request.user.user_id)
        return RulesOut(community_id=str(community), **(await points.rules_of(community)))


class VolunteerJoinController(Controller):
    """The public join page's one call (no token: the invite code is the credential)."""

    path = "/api/volunteers"
    tags = ["volunteers"]

    @post(
        "/join",
        status_code=HTTP_201_CREATED,
        security=PUBLIC,
        responses=errors(400, 404, 409, 413, 429),
    )
    async def join(self, request: Request[Any, Any, Any], data: JSONBody[JoinIn]) -> JoinOut:
        """Redeem an invite code: creates a volunteer account in the invite's community (then
        log in as usual).  Rate-limited per client address."""
        made = await invites.redeem(
            code=data.code,
            username=data.username,
            password=data.password,
            display_name=data.display_name,
            show_name=data.show_name,
            address=_client_address(request),
        )
        return JoinOut(**made)
