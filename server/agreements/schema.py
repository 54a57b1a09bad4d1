"""The `agreements` collection (COMMAND_API.md, "Mediation agreements and judicial
confirmation"), field by field, and an agreement's state machine.

Fields beyond the contract's (which allows additions): `facts` (the dispute's description,
copied at drafting so the signed text cannot change under the signatures), the dates of each
step, the court's acceptance and the reason of a rejection, and the server's `content_sha256`
(the hash printed in the document's footer; server/agreements/content.py defines it).
"""

from __future__ import annotations

from sync.schema import (
    Field,
    collection,
    datetime_field,
    enum_field,
    ref_field,
    string_field,
    text_field,
)

#: draft → signed → submitted → confirmed / rejected; a signed agreement goes back to draft
#: (to change its text) only while no one has submitted it to the court
AGREEMENT_STATES: dict[str, tuple[str, ...]] = {
    "draft": ("signed",),
    "signed": ("draft", "submitted"),
    "submitted": ("confirmed", "rejected"),
    "confirmed": (),
    "rejected": (),
}

#: the fields whose text the parties sign: editing any of them clears the signatures
SIGNED_CONTENT = ("parties", "facts", "terms")
#: once with the court the text is fixed
WITH_THE_COURT = frozenset({"submitted", "confirmed", "rejected"})

AGREEMENTS = collection(
    "agreements",
    [
        ref_field("dispute_id", "disputes", "immutable", required=True),
        Field("parties", "list", "set", items="agreement_party", personal=True),
        text_field("facts", "manual"),
        text_field("terms", "manual"),
        ref_field("mediator_id", "users"),
        Field("signatures", "list", "set", items="signature", personal=True),
        enum_field("status", " ".join(AGREEMENT_STATES), "state"),
        # the 30-day submission clock, started by the server when the last party has signed
        datetime_field("signed_at", "server"),
        datetime_field("submit_by", "server"),
        # judicial confirmation
        string_field("court_name"),
        ref_field("confirmation_room_id", "org_units"),
        datetime_field("submitted_at"),
        string_field("court_case_number", max_length=64),
        datetime_field("accepted_at"),
        # the court's ruling, scanned: one attachment's sha256
        string_field("ruling", max_length=64, items="attachment"),
        datetime_field("ruled_at"),
        text_field("rejection_reason"),
        string_field("content_sha256", "server", max_length=64),
    ],
    states={"status": AGREEMENT_STATES},
    initial_states={"status": "draft"},
)
