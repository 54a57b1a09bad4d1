"""Who may do what with the fund (scope checks on every read and write; 403 outside scope).

- read a fund's figures: admins whose subtree holds the unit, or whose unit draws from it
  (a community admin sees the district's fund their awards come from);
- set a budget: street and district admins, inside their subtree;
- award and reverse: admins of the volunteer's community (the community admin, usually);
- propose a batch: the community admin (or an admin above); approve and mark paid: a street or district admin
  above it, never the proposer (payouts.approve refuses the same person).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from server.accounts.principal import Principal
from server.http.errors import ApiError
from server.org.tree import OrgTree
from server.permissions import ADMIN_ROLES, in_scope, scope_root

BUDGET_SETTERS = frozenset({"street_admin", "district_admin"})
APPROVERS = frozenset({"street_admin", "district_admin"})


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def require_admin(p: Principal) -> None:
    if p.role not in ADMIN_ROLES:
        raise forbidden("只有管理员可以操作奖励基金 (only admins work with the incentive fund)")


def require_unit(tree: OrgTree, unit_id: UUID) -> None:
    if tree.get(unit_id) is None:
        raise ApiError(404, "not_found", "没有这个组织单位 (no such org unit)")


def may_read_fund(p: Principal, tree: OrgTree, unit_id: UUID) -> None:
    require_admin(p)
    require_unit(tree, unit_id)
    if in_scope(p, tree, unit_id) or tree.is_within(scope_root(p, tree), unit_id):
        return
    raise forbidden("这个单位不在您的管辖范围 (that org unit is outside your scope)")


def may_set_budget(p: Principal, tree: OrgTree, unit_id: UUID) -> None:
    if p.role not in BUDGET_SETTERS:
        raise forbidden("预算由街道或区级管理员设定 (street or district admins set budgets)")
    require_unit(tree, unit_id)
    if not in_scope(p, tree, unit_id):
        raise forbidden("这个单位不在您的管辖范围 (that org unit is outside your scope)")


def may_work_in(p: Principal, tree: OrgTree, community_id: Any) -> None:
    require_admin(p)
    if not in_scope(p, tree, community_id):
        raise forbidden("这个社区不在您的管辖范围 (that community is outside your scope)")


def may_propose(p: Principal, tree: OrgTree, community_id: UUID) -> None:
    """The community admin, usually; an admin above may too, and then another person approves."""
    unit = tree.get(community_id)
    if unit is None or unit.kind != "community":
        raise ApiError(
            422, "validation", "org_unit_id 必须是社区 (org_unit_id must be a community)"
        )
    may_work_in(p, tree, community_id)


def may_approve(p: Principal, tree: OrgTree, community_id: Any) -> None:
    if p.role not in APPROVERS:
        raise forbidden("发放批次由街道管理员审核 (a street admin approves a batch)")
    may_work_in(p, tree, community_id)
