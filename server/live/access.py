"""Who may watch an org unit on the command view: its admins and the admins above it.

Shared by the live stream, the map and the boundaries: community, street and district admins,
for a unit inside their own subtree (COMMAND_API.md "Command view").
"""

from __future__ import annotations

from uuid import UUID

from server.accounts.principal import Principal
from server.http.errors import ApiError
from server.org.tree import OrgTree, Unit
from server.permissions import ADMIN_ROLES, scope_root


def parse_unit_id(raw: str | None) -> UUID:
    """`org_unit_id` as a UUID, or a 400 saying what is wrong with it."""
    if not raw:
        raise ApiError(
            400,
            "invalid_request",
            "缺少 org_unit_id (org_unit_id is required)",
            {"field": "org_unit_id"},
        )
    try:
        return UUID(raw)
    except ValueError as exc:
        raise ApiError(
            400,
            "invalid_request",
            "org_unit_id 不是有效的编号 (org_unit_id is not a valid id)",
            {"field": "org_unit_id"},
        ) from exc


def command_unit(principal: Principal, tree: OrgTree, raw: str | None) -> Unit:
    """The org unit `raw` names, when this caller may watch it: 400 for a malformed id, 403 for
    a role without a command view or a unit outside the caller's subtree, 404 for no such unit."""
    unit_id = parse_unit_id(raw)
    if principal.role not in ADMIN_ROLES:
        raise ApiError(
            403,
            "forbidden",
            "只有社区、街道和区级管理员可以查看指挥视图 (only community, street and district "
            "admins see the command view)",
        )
    unit = tree.get(unit_id)
    if unit is None:
        raise ApiError(404, "not_found", "没有这个组织单位 (no such org unit)")
    if not tree.is_within(unit.id, scope_root(principal, tree)):
        raise ApiError(
            403,
            "forbidden",
            "该组织单位不在您的管辖范围内 (this org unit is outside your scope)",
            {"field": "org_unit_id"},
        )
    return unit
