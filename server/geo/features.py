"""The map's features: disputes, warnings and open dispatch orders of an org subtree, as GeoJSON.

A dispute is drawn at its own location, else at its community's centre; a warning and an order
at the dispute they concern (an order's warning: the order's dispute), else at their unit's
centre.  `properties.located` says which ("record" or "unit"), so the map can draw approximate
places differently.  Labels are made safe for a supervisor's screen (privacy.py); a psych
session's warning says nothing of the session.

Orders carry their dispute's risk level as their colour; the level and service-type filters
ask the dispute of a warning or an order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from piccolo.columns import Column
from piccolo.query import Select

from server.dispatch.tables import DispatchOrder
from server.disputes.tables import Dispute
from server.geo.filters import (
    CLOSED_DISPUTE_STATES,
    OPEN,
    OPEN_ORDER_STATES,
    MapFilters,
)
from server.geo.privacy import party_names, safe_title
from server.org.tables import OrgUnit
from server.org.tree import OrgTree, Unit
from server.replication.rows import iso
from server.warnings.tables import GradedWarning

CHUNK = 500


@dataclass(frozen=True)
class Subtree:
    unit: Unit
    units: list[UUID]
    communities: list[UUID]


def subtree_of(tree: OrgTree, unit: Unit) -> Subtree:
    units = [u.id for u in tree.units.values() if tree.is_within(u.id, unit.id)]
    communities = [u for u in units if tree.units[u].kind == "community"]
    return Subtree(unit, units, communities)


def _uuid(value: Any) -> UUID | None:
    if value is None:
        return None
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        return None


def point_of(geo: Any) -> list[float] | None:
    """[lng, lat] of a `geo` value ({lat, lng, ...}), None when it is not a usable place."""
    if not isinstance(geo, dict):
        return None
    lat, lng = geo.get("lat"), geo.get("lng")
    if isinstance(lat, bool) or isinstance(lng, bool):
        return None
    if (
        isinstance(lat, int | float)
        and isinstance(lng, int | float)
        and -90 <= lat <= 90
        and -180 <= lng <= 180
    ):
        return [float(lng), float(lat)]
    return None


async def unit_centres(tree: OrgTree, unit_ids: Iterable[UUID]) -> dict[UUID, list[float]]:
    """Each unit's own centre, else the nearest centre above it."""
    wanted = {a for u in unit_ids for a in tree.ancestors(u)}
    centres: dict[UUID, list[float]] = {}
    for chunk in _chunks(sorted(wanted)):
        rows = (
            await OrgUnit.select(OrgUnit.id, OrgUnit.geo)
            .where(OrgUnit.id.is_in(chunk))
            .output(load_json=True)
        )
        for row in rows:
            point = point_of(row["geo"])
            unit = _uuid(row["id"])
            if point is not None and unit is not None:
                centres[unit] = point
    out = {}
    for unit in wanted:
        for above in tree.ancestors(unit):
            if above in centres:
                out[unit] = centres[above]
                break
    return out


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _window(query: Select[Any], created: Column, f: MapFilters) -> Select[Any]:
    if f.start is not None:
        query = query.where(created >= f.start)
    if f.end is not None:
        query = query.where(created < f.end)
    return query


async def _disputes(area: Subtree, f: MapFilters) -> list[dict[str, Any]]:
    if not area.communities:
        return []
    query = Dispute.select(
        Dispute.id,
        Dispute.community_id,
        Dispute.title,
        Dispute.parties,
        Dispute.location,
        Dispute.risk_level,
        Dispute.status,
        Dispute.service_type,
        Dispute.updated_at,
    ).where(Dispute.deleted.eq(False), Dispute.community_id.is_in(area.communities))
    if f.levels is not None:
        query = query.where(Dispute.risk_level.is_in(sorted(f.levels)))
    if f.service_types is not None:
        query = query.where(Dispute.service_type.is_in(sorted(f.service_types)))
    if f.statuses is not None:
        named = sorted(f.statuses - {OPEN})
        if OPEN in f.statuses:
            open_clause = Dispute.status.is_null() | Dispute.status.not_in(
                sorted(CLOSED_DISPUTE_STATES)
            )
            query = query.where(open_clause | Dispute.status.is_in(named) if named else open_clause)
        else:
            query = query.where(Dispute.status.is_in(named))
    query = _window(query, Dispute.created_at, f)
    rows: list[dict[str, Any]] = (
        await query.order_by(Dispute.updated_at, ascending=False)
        .limit(f.limit + 1)
        .output(load_json=True)
    )
    return rows


async def _warnings(area: Subtree, f: MapFilters) -> list[dict[str, Any]]:
    query = GradedWarning.select(
        GradedWarning.id,
        GradedWarning.level,
        GradedWarning.source,
        GradedWarning.subject_collection,
        GradedWarning.subject_id,
        GradedWarning.org_unit_id,
        GradedWarning.message,
        GradedWarning.status,
        GradedWarning.updated_at,
    ).where(GradedWarning.deleted.eq(False), GradedWarning.org_unit_id.is_in(area.units))
    if f.levels is not None:
        query = query.where(GradedWarning.level.is_in(sorted(f.levels)))
    if f.statuses is not None:
        wants_open = bool({OPEN, "open"} & f.statuses)
        wants_closed = "closed" in f.statuses
        if wants_open and not wants_closed:
            query = query.where(GradedWarning.status.is_null() | (GradedWarning.status == "open"))
        elif wants_closed and not wants_open:
            query = query.where(GradedWarning.status == "closed")
        elif not wants_open and not wants_closed:
            return []
    query = _window(query, GradedWarning.created_at, f)
    rows: list[dict[str, Any]] = await query.order_by(
        GradedWarning.updated_at, ascending=False
    ).limit(f.limit + 1)
    return rows


async def _orders(area: Subtree, f: MapFilters) -> list[dict[str, Any]]:
    if not area.communities:
        return []
    states = OPEN_ORDER_STATES
    if f.statuses is not None and OPEN not in f.statuses:
        states = states & f.statuses
    if not states:
        return []
    query = DispatchOrder.select(
        DispatchOrder.id,
        DispatchOrder.community_id,
        DispatchOrder.dispute_id,
        DispatchOrder.summary,
        DispatchOrder.status,
        DispatchOrder.escalation_level,
        DispatchOrder.overdue,
        DispatchOrder.updated_at,
    ).where(
        DispatchOrder.deleted.eq(False),
        DispatchOrder.community_id.is_in(area.communities),
        DispatchOrder.status.is_in(sorted(states)),
    )
    query = _window(query, DispatchOrder.created_at, f)
    rows: list[dict[str, Any]] = await query.order_by(
        DispatchOrder.updated_at, ascending=False
    ).limit(f.limit + 1)
    return rows


async def _cited_disputes(ids: set[UUID]) -> dict[UUID, dict[str, Any]]:
    out: dict[UUID, dict[str, Any]] = {}
    for chunk in _chunks(sorted(ids)):
        rows = (
            await Dispute.select(
                Dispute.id,
                Dispute.community_id,
                Dispute.location,
                Dispute.parties,
                Dispute.risk_level,
                Dispute.service_type,
            )
            .where(Dispute.id.is_in(chunk), Dispute.deleted.eq(False))
            .output(load_json=True)
        )
        for row in rows:
            key = _uuid(row["id"])
            if key is not None:
                out[key] = row
    return out


async def _orders_by_id(ids: set[UUID]) -> dict[UUID, dict[str, Any]]:
    out: dict[UUID, dict[str, Any]] = {}
    for chunk in _chunks(sorted(ids)):
        rows = await DispatchOrder.select(DispatchOrder.id, DispatchOrder.dispute_id).where(
            DispatchOrder.id.is_in(chunk)
        )
        for row in rows:
            key = _uuid(row["id"])
            if key is not None:
                out[key] = row
    return out


def _feature(
    collection: str, record_id: Any, point: list[float] | None, props: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": f"{collection}/{record_id}",
        "geometry": {"type": "Point", "coordinates": point} if point else None,
        "properties": {"collection": collection, "id": str(record_id), **props},
    }


def _located(
    own: list[float] | None, fallback: list[float] | None
) -> tuple[list[float] | None, str | None]:
    if own is not None:
        return own, "record"
    return fallback, ("unit" if fallback is not None else None)


async def map_features(tree: OrgTree, unit: Unit, f: MapFilters) -> dict[str, Any]:
    """The FeatureCollection of `GET /api/command/map`."""
    area = subtree_of(tree, unit)
    disputes = await _disputes(area, f)
    warnings = await _warnings(area, f)
    orders = await _orders(area, f)
    truncated = any(len(rows) > f.limit for rows in (disputes, warnings, orders))
    disputes, warnings, orders = disputes[: f.limit], warnings[: f.limit], orders[: f.limit]

    # what warnings and orders are about: an order's dispute, a warning's dispute or order
    def ids(rows: Iterable[dict[str, Any]], name: str, collection: str | None = None) -> set[UUID]:
        return {
            value
            for row in rows
            if collection is None or row["subject_collection"] == collection
            if (value := _uuid(row[name])) is not None
        }

    order_refs = await _orders_by_id(ids(warnings, "subject_id", "dispatch_orders"))
    cited = ids(orders, "dispute_id") | ids(order_refs.values(), "dispute_id")
    cited |= ids(warnings, "subject_id", "disputes")
    about = await _cited_disputes(cited)

    def dispute_of_warning(w: dict[str, Any]) -> dict[str, Any] | None:
        subject = _uuid(w["subject_id"])
        if subject is None:
            return None
        if w["subject_collection"] == "disputes":
            return about.get(subject)
        if w["subject_collection"] == "dispatch_orders" and subject in order_refs:
            return about.get(_uuid(order_refs[subject]["dispute_id"]) or UUID(int=0))
        return None

    centres = await unit_centres(
        tree,
        [u for u in (_uuid(r["community_id"]) for r in (*disputes, *orders)) if u]
        + [u for u in (_uuid(w["org_unit_id"]) for w in warnings) if u],
    )

    features: list[dict[str, Any]] = []
    for d in disputes:
        community = _uuid(d["community_id"])
        point, located = _located(point_of(d["location"]), centres.get(community or UUID(int=0)))
        features.append(
            _feature(
                "disputes",
                d["id"],
                point,
                {
                    "risk_level": d["risk_level"],
                    "level": d["risk_level"],
                    "status": d["status"],
                    "title": safe_title(d["title"], party_names(d["parties"])),
                    "community_id": str(community) if community else None,
                    "service_type": d["service_type"],
                    "updated_at": iso(d["updated_at"]),
                    "located": located,
                },
            )
        )
    for w in warnings:
        subject = dispute_of_warning(w)
        service = subject["service_type"] if subject else None
        if not f.wants_service(service or ("psych" if w["source"] == "psych" else None)):
            continue
        org = _uuid(w["org_unit_id"])
        own = point_of(subject["location"]) if subject else None
        point, located = _located(own, centres.get(org or UUID(int=0)))
        community = tree.nearest(org, "community")
        if community is None and subject is not None:
            community = _uuid(subject["community_id"])
        features.append(
            _feature(
                "warnings",
                w["id"],
                point,
                {
                    "level": w["level"],
                    "status": w["status"] or "open",
                    "title": safe_title(
                        w["message"], party_names(subject["parties"]) if subject else ()
                    ),
                    "source": w["source"],
                    "subject_collection": w["subject_collection"],
                    "subject_id": str(w["subject_id"]) if w["subject_id"] else None,
                    "org_unit_id": str(org) if org else None,
                    "community_id": str(community) if community else None,
                    "updated_at": iso(w["updated_at"]),
                    "located": located,
                },
            )
        )
    for o in orders:
        dispute = about.get(_uuid(o["dispute_id"]) or UUID(int=0))
        level = dispute["risk_level"] if dispute else None
        if not f.wants_level(level) or not f.wants_service(
            dispute["service_type"] if dispute else None
        ):
            continue
        community = _uuid(o["community_id"])
        own = point_of(dispute["location"]) if dispute else None
        point, located = _located(own, centres.get(community or UUID(int=0)))
        features.append(
            _feature(
                "dispatch_orders",
                o["id"],
                point,
                {
                    "risk_level": level,
                    "level": level,
                    "status": o["status"],
                    "title": safe_title(
                        o["summary"], party_names(dispute["parties"]) if dispute else ()
                    ),
                    "community_id": str(community) if community else None,
                    "dispute_id": str(o["dispute_id"]) if o["dispute_id"] else None,
                    "escalation_level": o["escalation_level"],
                    "overdue": bool(o["overdue"]),
                    "updated_at": iso(o["updated_at"]),
                    "located": located,
                },
            )
        )
    return {
        "type": "FeatureCollection",
        "org_unit_id": str(unit.id),
        "truncated": truncated,
        "features": features,
    }
