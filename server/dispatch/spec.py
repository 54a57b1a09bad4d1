"""The `dispatch_orders` collection as the server runs it."""

from __future__ import annotations

from server.dispatch.access import can_read_order, check_order_write, order_scope
from server.dispatch.admission import admit_order
from server.dispatch.checkin import record_checkin_evidence
from server.dispatch.jobs import check_deadlines
from server.dispatch.rules import notify_order_change
from server.dispatch.schema import DISPATCH_ORDERS
from server.dispatch.tables import DispatchOrder
from server.disputes.citations import cited_dispute_refs
from server.specs import CollectionSpec, Job

DISPATCH_ORDERS_SPEC = CollectionSpec(
    schema=DISPATCH_ORDERS,
    table=DispatchOrder,
    can_read=can_read_order,
    check_write=check_order_write,
    admit=admit_order,
    scope=order_scope,
    mutation_refs=cited_dispute_refs,
    reactions=(record_checkin_evidence, notify_order_change),
    jobs=(Job("deadlines", check_deadlines),),
    fact_fields=("escalation_level", "checkin_status", "overdue", "last_chased_at"),
)
