"""A constructed data set with known answers for the command figures (March 2019, a month no
other test writes in): disputes, visits, dispatch orders, warnings and their lifecycle facts,
written straight into the tables with chosen server times, as the push path would have left
them (the disputes' server-only milestones filled by the function its flush calls).  The expected figures are worked out by hand in test_stats.py.

Three communities: A1 and A2 of 光明街道, B1 of 公明街道.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.dispatch.tables import DispatchOrder
from server.disputes import milestones
from server.disputes.tables import Dispute, Visit
from server.org.importer import unit_id
from server.replication.tables import LifecycleFact
from server.warnings.tables import GradedWarning

A1 = unit_id("GM.GUANGMING.C01")
A2 = unit_id("GM.GUANGMING.C02")
B1 = unit_id("GM.GONGMING.C01")
GUANGMING = unit_id("GM.GUANGMING")
GONGMING = unit_id("GM.GONGMING")
DISTRICT = unit_id("GM")
#: the demo district's six streets (server/org/data/guangming-demo.yaml); other tests may add
#: streets of their own to the shared session database
DEMO_STREETS = tuple(
    unit_id(f"GM.{code}")
    for code in ("GUANGMING", "GONGMING", "XINHU", "FENGHUANG", "YUTANG", "MATIAN")
)
HOUSING = unit_id("GM.DEPT.HOUSING")
URBAN = unit_id("GM.DEPT.URBAN")

MONTH_START = datetime(2019, 3, 1, tzinfo=UTC)
MONTH_END = datetime(2019, 4, 1, tzinfo=UTC)
#: phone digits given to parties: no export may contain them
PARTY_PHONE = "13912345678"


def t(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2019, month, day, hour, minute, tzinfo=UTC)


def rid(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"doorstep-test-stats/{name}")


_facts: list[dict[str, Any]] = []


def fact(
    collection: str,
    record: str,
    field: str,
    old: str | None,
    new: str | None,
    at: datetime,
    created: datetime,
    scope: uuid.UUID,
) -> None:
    _facts.append(
        {
            "collection": collection,
            "record_id": rid(record),
            "field": field,
            "from_value": old,
            "to_value": new,
            "at": at,
            "record_created_at": created,
            "record_version": len(_facts) + 1,
            "by_user": None,
            "by_device": None,
            "scope_org_id": scope,
        }
    )


def dispute(
    name: str,
    community: uuid.UUID,
    created: datetime,
    statuses: list[tuple[str, datetime]],
    *,
    service_type: str | None,
    channel: str,
    category: str | None,
    risk: str,
    ratings: tuple[tuple[str, datetime], ...] = (),
    deleted: bool = False,
    title: str | None = None,
) -> Dispute:
    previous: str | None = None
    for status, at in [("registered", created), *statuses]:
        fact("disputes", name, "status", previous, status, at, created, community)
        previous = status
    fact("disputes", name, "risk_level", None, risk, created, created, community)
    rated: str | None = None
    for level, at in ratings:
        fact("disputes", name, "satisfaction", rated, level, at, created, community)
        rated = level
    return Dispute(
        id=rid(name),
        version=1 + len(statuses),
        deleted=deleted,
        created_at=created,
        updated_at=created,
        community_id=community,
        service_type=service_type,
        channel=channel,
        category=category,
        title=title or f"统计测试纠纷 {name}",
        description="楼上漏水",
        parties=json.dumps([{"name": "张三", "phone": PARTY_PHONE, "role": "applicant"}]),
        risk_level=risk,
        status=previous,
        satisfaction=rated,
    )


def order(
    name: str,
    community: uuid.UUID,
    department: uuid.UUID,
    created: datetime,
    *,
    dispute_name: str | None = None,
    required: str = "section",
    arrive_by: datetime,
    arrival: tuple[datetime, str, datetime, str] | None = None,
    overdue: bool = False,
    escalation: str | None = None,
    community_rating: int | None = None,
    department_rating: int | None = None,
) -> DispatchOrder:
    """`arrival`: (reported time, leader level, receipt time, check-in status)."""
    # a month-old order is long closed (verified) once the department came, so the deadline job
    # of later tests in this session never touches it; the one never visited stays issued, and
    # is already at the top of the ladder, so the job finds nothing to do with it either
    status = "verified" if arrival else "issued"
    fact("dispatch_orders", name, "status", None, "issued", created, created, community)
    return DispatchOrder(
        id=rid(name),
        version=2,
        deleted=False,
        created_at=created,
        updated_at=created,
        community_id=community,
        dispute_id=rid(dispute_name) if dispute_name else None,
        department_id=department,
        summary=f"统计测试派单 {name}",
        required_leader_level=required,
        arrive_by=arrive_by,
        resolve_by=arrive_by + timedelta(days=3),
        status=status,
        arrival=json.dumps(
            {
                "at": arrival[0].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "leader_name": "李科长",
                "leader_level": arrival[1],
            }
        )
        if arrival
        else None,
        arrival_received_at=arrival[2] if arrival else None,
        checkin_status=arrival[3] if arrival else None,
        overdue=overdue,
        escalation_level=escalation,
        community_rating=community_rating,
        department_rating=department_rating,
    )


def warning(
    name: str, level: str, unit: uuid.UUID, created: datetime, acked: datetime | None = None
) -> GradedWarning:
    fact("warnings", name, "acknowledged_by", None, "[]", created, created, unit)
    if acked is not None:
        fact("warnings", name, "acknowledged_by", "[]", '["someone"]', acked, created, unit)
    return GradedWarning(
        id=rid(name),
        version=1,
        deleted=False,
        created_at=created,
        updated_at=created,
        level=level,
        source="manual",
        org_unit_id=unit,
        message=f"统计测试预警 {name}",
        acknowledged_by=json.dumps(["someone"] if acked else []),
        status="open",
        # already sent one level up long ago: the re-send job of later tests leaves it alone
        resent_at=created + timedelta(minutes=30),
    )


def build_rows() -> tuple[list[Dispute], list[Visit], list[DispatchOrder], list[GradedWarning]]:
    _facts.clear()
    disputes = [
        dispute(
            "d1",
            A1,
            t(2),
            [("mediating", t(2, 2)), ("resolved", t(2, 10))],
            service_type="dispute",
            channel="door_to_door",
            category="neighbour",
            risk="blue",
            ratings=(("satisfied", t(3)),),
        ),
        dispute(
            "d2",
            A1,
            t(5),
            [("mediating", t(5, 8)), ("resolved", t(6))],
            service_type="legal",
            channel="hall",
            category="family",
            risk="yellow",
            ratings=(("unsatisfied", t(7)), ("basically_satisfied", t(8))),
        ),
        dispute(
            "d3",
            A2,
            t(10),
            [],
            service_type="dispute",
            channel="app",
            category="labour_wages",
            risk="red",
            # a phone typed into a title must not leave in a report
            title=f"统计测试纠纷 d3 欠薪，联系 {PARTY_PHONE[:3]}-{PARTY_PHONE[3:7]}-{PARTY_PHONE[7:]}",
        ),
        dispute(
            "d4",
            B1,
            t(15),
            [("mediating", t(15, 6)), ("resolved", t(2, month=4))],
            service_type="complaint",
            channel="hotline",
            category="other",
            risk="orange",
            ratings=(("satisfied", t(3, month=4)),),
        ),
        # received the month before: its resolution in March does not count
        dispute(
            "d5",
            A1,
            t(27, month=2),
            [("mediating", t(28, month=2)), ("resolved", t(3))],
            service_type="dispute",
            channel="hall",
            category="neighbour",
            risk="blue",
        ),
        # deleted (made in error): never counted
        dispute(
            "d6",
            A2,
            t(20),
            [("mediating", t(20, 1))],
            service_type="dispute",
            channel="hall",
            category="neighbour",
            risk="blue",
            deleted=True,
        ),
        dispute(
            "d7",
            B1,
            t(31, 23),
            [("mediating", t(31, 23, 10)), ("resolved", t(31, 23, 20)), ("closed", t(31, 23, 30))],
            service_type=None,
            channel="station",
            category=None,
            risk="blue",
        ),
    ]
    visits = [
        Visit(
            id=rid("v1"),
            version=1,
            deleted=False,
            created_at=t(5, 4),
            updated_at=t(5, 4),
            dispute_id=rid("d2"),
            kind="visit",
            community_id=A1,
        )
    ]
    orders = [
        order(
            "o1",
            A1,
            HOUSING,
            t(5, 6),
            dispute_name="d2",
            required="section",
            arrive_by=t(5, 10),
            arrival=(t(5, 9), "division", t(5, 9, 5), "ok"),
            community_rating=4,
            department_rating=5,
        ),
        order(
            "o2",
            A2,
            HOUSING,
            t(10, 1),
            dispute_name="d3",
            required="division",
            arrive_by=t(10, 5),
            arrival=(t(10, 4), "section", t(10, 9), "pending_verification"),
            overdue=True,
            escalation="street",
        ),
        order(
            "o3",
            B1,
            URBAN,
            t(12),
            required="staff",
            arrive_by=t(12, 12),
            arrival=(t(12, 13), "staff", t(12, 13, 1), "ok"),
            community_rating=2,
        ),
        order(
            "o4",
            B1,
            URBAN,
            t(20),
            required="section",
            arrive_by=t(20, 6),
            overdue=True,
            escalation="district",
        ),
        order(
            "o5",
            A1,
            HOUSING,
            t(25),
            required="section",
            arrive_by=t(25, 9),
            arrival=(t(25, 8), "deputy_division", t(25, 11), "verified"),
        ),
        # issued the month before
        order("o6", A1, HOUSING, t(20, month=2), arrive_by=t(21, month=2)),
    ]
    warnings = [
        warning("w1", "red", A1, t(2), acked=t(2, 0, 10)),
        warning("w2", "red", GUANGMING, t(5), acked=t(5, 0, 30)),
        warning("w3", "red", B1, t(6), acked=t(6, 1)),
        warning("w4", "orange", A2, t(7)),
        warning("w5", "yellow", B1, t(8)),
        warning("w6", "blue", DISTRICT, t(9)),
        warning("w7", "red", A1, t(31, 23, 50)),
    ]
    return disputes, visits, orders, warnings


_built = False


async def build() -> None:
    """Write the data set once per test session (the database is shared by the session)."""
    global _built
    if _built or await Dispute.exists().where(Dispute.id == rid("d1")):
        _built = True
        return
    disputes, visits, orders, warnings = build_rows()
    await Dispute.insert(*disputes)
    await Visit.insert(*visits)
    await DispatchOrder.insert(*orders)
    await GradedWarning.insert(*warnings)
    await LifecycleFact.insert(*[LifecycleFact(**row) for row in _facts])
    # the rows went in beside the push path: keep the disputes' milestones as its flush does
    # (server/disputes/milestones.py), from the facts, visits and orders just written
    await milestones.refresh(d.id for d in disputes)
    _built = True
