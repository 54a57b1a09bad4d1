"""What an agreement write must satisfy before its permission slice is asked.

- A new agreement cites a dispute its writer can read; the dispute's community becomes the
  agreement's scope.
- Its parties are the dispute's parties (by name), identified by at most the last four
  characters of an ID number (the item shape, `sync/validate.py`, refuses anything else).
- A signature names one of the agreement's parties, once.
- `signed` needs the text and one signature per party; `submitted` needs the court and a
  confirmation room from the directory; `confirmed` the court's case number; `rejected` the
  reason.
- Once with the court (submitted, confirmed, rejected) the signed text and its signatures are
  fixed.
Every refusal is `validation` naming the field, so the phone can say what to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.agreements.schema import SIGNED_CONTENT, WITH_THE_COURT
from server.disputes.citations import check_cited_dispute
from server.permissions import as_uuid
from server.specs import Admission
from sync.model import MutationError


def party_names(parties: Any) -> list[str]:
    return [str(p.get("name")) for p in parties or [] if isinstance(p, dict) and p.get("name")]


def unsigned_parties(parties: Any, signatures: Any) -> list[str]:
    """The parties without a signature, in the agreement's order."""
    signed = {s.get("party_name") for s in signatures or [] if isinstance(s, dict)}
    return [name for name in party_names(parties) if name not in signed]


def _invalid(a: Admission, field: str, message: str) -> MutationError:
    return MutationError("validation", message, {"collection": a.collection, "field": field})


def admit_agreement(a: Admission) -> MutationError | None:
    if a.op == "delete":
        return None
    merged: dict[str, Any] = {**(a.stored or {}), **a.proposal}
    if a.stored is None:
        error = check_cited_dispute(a, merged, community_field=None)
        if error is not None:
            return error
    dispute = a.ws.records.get(("disputes", str(merged.get("dispute_id"))))
    if dispute is not None:
        a.proposal["scope_org_id"] = dispute.fields.get("community_id")
    for check in (_text_fixed_with_the_court, _parties, _signatures, _room, _mediator, _status):
        error = check(a, merged, dispute.fields if dispute is not None else None)
        if error is not None:
            return error
    return None


def _text_fixed_with_the_court(
    a: Admission, merged: Mapping[str, Any], dispute: Mapping[str, Any] | None
) -> MutationError | None:
    if (a.stored or {}).get("status") not in WITH_THE_COURT:
        return None
    for field in (*SIGNED_CONTENT, "signatures"):
        if field in a.proposal and a.proposal[field] != (a.stored or {}).get(field):
            return _invalid(
                a,
                field,
                "the agreement is with the court: its signed text and signatures are fixed",
            )
    return None


def _parties(
    a: Admission, merged: Mapping[str, Any], dispute: Mapping[str, Any] | None
) -> MutationError | None:
    if "parties" not in a.proposal or dispute is None:
        return None
    known = set(party_names(dispute.get("parties")))
    strangers = [n for n in party_names(a.proposal["parties"]) if n not in known]
    if strangers:
        return _invalid(
            a,
            "parties",
            f"{'、'.join(strangers)} is not a party of the dispute: add them to the dispute first",
        )
    names = party_names(a.proposal["parties"])
    if len(set(names)) != len(names):
        return _invalid(a, "parties", "each party appears once")
    return None


def _signatures(
    a: Admission, merged: Mapping[str, Any], dispute: Mapping[str, Any] | None
) -> MutationError | None:
    if "signatures" not in a.proposal:
        return None
    parties = set(party_names(merged.get("parties")))
    names = [s.get("party_name") for s in a.proposal["signatures"] or []]
    strangers = [str(n) for n in names if n not in parties]
    if strangers:
        return _invalid(a, "signatures", f"{'、'.join(strangers)} is not a party of this agreement")
    if len(set(names)) != len(names):
        return _invalid(a, "signatures", "each party signs once")
    return None


def _room(
    a: Admission, merged: Mapping[str, Any], dispute: Mapping[str, Any] | None
) -> MutationError | None:
    room_id = a.proposal.get("confirmation_room_id")
    if room_id is None:
        return None
    room = a.tree.get(as_uuid(room_id))
    if room is None or room.kind != "confirmation_room":
        return _invalid(
            a,
            "confirmation_room_id",
            "confirmation_room_id must name a judicial confirmation room of the directory",
        )
    return None


def _mediator(
    a: Admission, merged: Mapping[str, Any], dispute: Mapping[str, Any] | None
) -> MutationError | None:
    mediator_id = a.proposal.get("mediator_id")
    if mediator_id is None:
        return None
    user = a.ws.records.get(("users", str(mediator_id)))
    works_at = as_uuid(user.fields.get("org_unit_id")) if user is not None else None
    community = as_uuid((dispute or {}).get("community_id"))
    if works_at is None or not a.tree.is_within(works_at, community):
        return _invalid(
            a, "mediator_id", "mediator_id must name someone who works in the dispute's community"
        )
    return None


def _status(
    a: Admission, merged: Mapping[str, Any], dispute: Mapping[str, Any] | None
) -> MutationError | None:
    status = a.proposal.get("status")
    if status is None or status == (a.stored or {}).get("status"):
        return None
    if status == "signed":
        if not party_names(merged.get("parties")):
            return _invalid(a, "parties", "an agreement is signed by its parties: name them")
        if not str(merged.get("terms") or "").strip():
            return _invalid(a, "terms", "an agreement without terms cannot be signed")
        missing = unsigned_parties(merged.get("parties"), merged.get("signatures"))
        if missing:
            return _invalid(
                a,
                "signatures",
                f"every party signs before the agreement is signed: {'、'.join(missing)}",
            )
    elif status == "submitted":
        if not str(merged.get("court_name") or "").strip():
            return _invalid(a, "court_name", "name the court the agreement is submitted to")
        if not merged.get("confirmation_room_id"):
            return _invalid(
                a, "confirmation_room_id", "choose the judicial confirmation room it goes through"
            )
    elif status == "confirmed":
        if not str(merged.get("court_case_number") or "").strip():
            return _invalid(a, "court_case_number", "a confirmation needs the court's case number")
    elif status == "rejected" and not str(merged.get("rejection_reason") or "").strip():
        return _invalid(a, "rejection_reason", "record why the court rejected the application")
    return None
