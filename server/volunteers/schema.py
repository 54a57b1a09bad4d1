"""The `reports` collection (随手拍): a volunteer's hazard or lead, and what became of it.

A volunteer writes what, where (GPS and address) and photos, offline; grid workers of the
community answer it: accepted (turned into a dispute, linked by `dispute_id`), merged into
another report it duplicates (`merged_into`), or dismissed with a reason the volunteer reads
(`outcome_reason`).  `points` is written by the server when a rule awards points, never by a
device.
"""

from __future__ import annotations

from sync.schema import (
    Field,
    collection,
    enum_field,
    ref_field,
    string_field,
    text_field,
)

REPORT_STATES: dict[str, tuple[str, ...]] = {
    "submitted": ("accepted", "merged", "dismissed"),
    "accepted": (),
    "merged": (),
    "dismissed": (),
}

#: fields the volunteer writes (while the report is still `submitted`)
REPORTER_FIELDS = frozenset(
    {"community_id", "kind", "title", "description", "location", "address", "photos", "status"}
)
#: fields grid workers write when they answer a report
OUTCOME_FIELDS = frozenset({"status", "dispute_id", "merged_into", "outcome_reason"})

REPORTS = collection(
    "reports",
    [
        ref_field("community_id", "org_units", "immutable", required=True),
        enum_field("kind", "hazard lead"),
        string_field("title", required=True),
        text_field("description"),
        Field("location", "geo", "lww"),
        string_field("address"),
        Field("photos", "list", "set", items="attachment"),
        enum_field("status", " ".join(REPORT_STATES), "state"),
        ref_field("dispute_id", "disputes"),
        ref_field("merged_into", "reports"),
        text_field("outcome_reason"),
        Field("points", "integer", "server", minimum=0),
    ],
    states={"status": REPORT_STATES},
    initial_states={"status": "submitted"},
)
