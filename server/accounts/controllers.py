"""HTTP for accounts: login, refresh, logout, and user/device administration.  Thin: every
decision is in AccountService and server.permissions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from server import permissions
from server.accounts.principal import Principal
from server.accounts.schemas import (
    AdminUserOut,
    CreateUserRequest,
    DeviceOut,
    LoginRequest,
    RefreshRequest,
    TokenResponse,
    UpdateUserRequest,
    UserOut,
)
from server.accounts.services import AccountService, TokenPair
from server.http.errors import ApiError
from server.http.openapi import BEARER, PUBLIC, errors
from server.org.tree import OrgTree, load_tree

AuthRequest = Request[Principal, str, State]


def provide_accounts(state: State) -> AccountService:
    service: AccountService = state.accounts
    return service


def _token_response(pair: TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        device_id=str(pair.device_id),
        user=UserOut(**pair.user),
    )


def _client_address(request: Request[Any, Any, Any]) -> str:
    client = request.client
    return client.host if client else "unknown"


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]
    dependencies = {"accounts": Provide(provide_accounts, sync_to_thread=False)}

    @post("/login", status_code=HTTP_200_OK, security=PUBLIC, responses=errors(400, 401, 413, 429))
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginRequest],
        accounts: NamedDependency[AccountService],
    ) -> TokenResponse:
        """Log in; registers a device and returns its access and refresh tokens."""
        pair = await accounts.login(
            data.username, data.password, data.device_name, _client_address(request)
        )
        return _token_response(pair)

    @post("/refresh", status_code=HTTP_200_OK, security=PUBLIC, responses=errors(400, 401, 413))
    async def refresh(
        self, data: JSONBody[RefreshRequest], accounts: NamedDependency[AccountService]
    ) -> TokenResponse:
        """Trade a refresh token for a new pair; a token used twice revokes the device."""
        return _token_response(await accounts.refresh(data.refresh_token))

    @post("/logout", status_code=HTTP_204_NO_CONTENT, security=BEARER, responses=errors(401))
    async def logout(self, request: AuthRequest, accounts: NamedDependency[AccountService]) -> None:
        """Revoke the calling device's tokens."""
        await accounts.logout(request.user.device_id)

    @get("/me", security=BEARER, responses=errors(401))
    async def me(self, request: AuthRequest) -> UserOut:
        p = request.user
        return UserOut(
            id=str(p.user_id),
            username=p.username,
            display_name=p.display_name,
            role=p.role,
            org_unit_id=str(p.org_unit_id) if p.org_unit_id else None,
        )


class AdminController(Controller):
    path = "/api/admin"
    tags = ["administration"]
    security = BEARER
    dependencies = {"accounts": Provide(provide_accounts, sync_to_thread=False)}

    @get("/users", responses=errors(401, 403))
    async def list_users(
        self, request: AuthRequest, accounts: NamedDependency[AccountService]
    ) -> list[AdminUserOut]:
        """The users this admin manages: everyone for a district admin, else their subtree."""
        tree = await _admin_tree(request.user)
        users = await accounts.list_users()
        return [
            AdminUserOut(**u)
            for u in users
            if permissions.may_manage_user(request.user, tree, u["org_unit_id"], None) is None
        ]

    @post("/users", status_code=HTTP_201_CREATED, responses=errors(400, 401, 403, 409, 413, 422))
    async def create_user(
        self,
        request: AuthRequest,
        data: JSONBody[CreateUserRequest],
        accounts: NamedDependency[AccountService],
    ) -> AdminUserOut:
        tree = await _admin_tree(request.user)
        if tree.get(data.org_unit_id) is None:
            raise ApiError(
                422, "validation", "org_unit_id is not a known org unit", {"field": "org_unit_id"}
            )
        _require(permissions.may_manage_user(request.user, tree, data.org_unit_id, data.role))
        user = await accounts.create_user(
            username=data.username,
            password=data.password,
            display_name=data.display_name,
            role=data.role,
            org_unit_id=data.org_unit_id,
            actor=request.user,
        )
        return AdminUserOut(**user)

    @patch("/users/{user_id:uuid}", responses=errors(400, 401, 403, 404, 413, 422))
    async def update_user(
        self,
        request: AuthRequest,
        user_id: FromPath[UUID],
        data: JSONBody[UpdateUserRequest],
        accounts: NamedDependency[AccountService],
    ) -> AdminUserOut:
        tree = await _admin_tree(request.user)
        target = await _managed_user(request.user, tree, accounts, user_id)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        if "org_unit_id" in changes and tree.get(changes["org_unit_id"]) is None:
            raise ApiError(
                422, "validation", "org_unit_id is not a known org unit", {"field": "org_unit_id"}
            )
        _require(
            permissions.may_manage_user(
                request.user,
                tree,
                changes.get("org_unit_id", target["org_unit_id"]),
                changes.get("role", target["role"]),
            )
        )
        if user_id == request.user.user_id and (
            "role" in changes or changes.get("active") is False
        ):
            raise ApiError(403, "forbidden", "you cannot change your own role or disable yourself")
        return AdminUserOut(**await accounts.update_user(user_id, changes, request.user))

    @get("/users/{user_id:uuid}/devices", responses=errors(400, 401, 403, 404))
    async def list_devices(
        self,
        request: AuthRequest,
        user_id: FromPath[UUID],
        accounts: NamedDependency[AccountService],
    ) -> list[DeviceOut]:
        tree = await _admin_tree(request.user)
        await _managed_user(request.user, tree, accounts, user_id)
        return [DeviceOut(**d) for d in await accounts.list_devices(user_id)]

    @post(
        "/devices/{device_id:uuid}/revoke",
        status_code=HTTP_200_OK,
        responses=errors(400, 401, 403, 404),
    )
    async def revoke_device(
        self,
        request: AuthRequest,
        device_id: FromPath[UUID],
        accounts: NamedDependency[AccountService],
    ) -> dict[str, Any]:
        """Sign a lost phone out: its next contact gets `device_revoked` and wipes its data."""
        tree = await _admin_tree(request.user)
        owner = await accounts.device_owner(device_id)
        if owner is None:
            raise ApiError(404, "not_found", "no such device")
        await _managed_user(request.user, tree, accounts, owner)
        await accounts.revoke_device(device_id)
        return {"id": str(device_id), "revoked": True}


async def _admin_tree(p: Principal) -> OrgTree:
    if p.role not in permissions.ADMIN_ROLES:
        raise ApiError(403, "forbidden", "only admins manage accounts")
    return await load_tree()


async def _managed_user(
    p: Principal, tree: OrgTree, accounts: NamedDependency[AccountService], user_id: UUID
) -> dict[str, Any]:
    target = await accounts.get_user(user_id)
    # Outside one's scope looks the same as absent: no probing for accounts.
    if target is None or permissions.may_manage_user(p, tree, target["org_unit_id"], None):
        raise ApiError(404, "not_found", "no such user")
    return target


def _require(refusal: str | None) -> None:
    if refusal is not None:
        raise ApiError(403, "forbidden", refusal)
