"""The `dispatch_orders` collection: the community orders a department to act, with deadlines."""

from __future__ import annotations

from sync.schema import Field, collection, datetime_field, enum_field, ref_field, text_field

LEADER_LEVELS = "staff section deputy_division division deputy_bureau bureau"
ESCALATION_LEVELS = ("community", "street", "district")

ORDER_STATES: dict[str, tuple[str, ...]] = {
    "issued": ("acknowledged",),
    "acknowledged": ("arrived",),
    "arrived": ("resolved",),
    "resolved": ("verified", "reopened"),
    "reopened": ("arrived",),
    "verified": (),
}

DISPATCH_ORDERS = collection(
    "dispatch_orders",
    [
        ref_field("community_id", "org_units", "immutable", required=True),
        ref_field("dispute_id", "disputes", "immutable"),
        ref_field("department_id", "org_units", "immutable", required=True),
        text_field("summary"),
        enum_field("required_leader_level", LEADER_LEVELS),
        datetime_field("arrive_by", required=True),
        datetime_field("resolve_by", required=True),
        enum_field("status", " ".join(ORDER_STATES), "state"),
        Field("arrival", "object", "lww"),
        text_field("resolution_note", "manual"),
        Field("overdue", "boolean", "server"),
        enum_field("escalation_level", " ".join(ESCALATION_LEVELS), "server"),
        # check-in evidence, written by the server on receipt of `arrival` (dispatch/checkin.py)
        datetime_field("arrival_received_at", "server"),
        Field("arrival_distance_m", "integer", "server"),
        enum_field("checkin_status", "ok pending_verification verified", "lww"),
        Field("community_rating", "integer", "lww", minimum=1, maximum=5),
        Field("department_rating", "integer", "lww", minimum=1, maximum=5),
        # when a supervisor last chased the department (督办催办, server/command/supervise.py)
        datetime_field("last_chased_at", "server"),
    ],
    states={"status": ORDER_STATES},
    initial_states={"status": "issued"},
)
