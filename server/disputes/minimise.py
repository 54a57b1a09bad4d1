"""What a supervisor's device holds of a dispute (COMMAND_API.md "Supervisors' devices hold
less", 个人信息保护法 data minimisation).

Street and district admins act from the phone on the disputes that need them: orange or red
risk, or escalated.  Those they hold with each party reduced to a masked name and a role (no
phone); every other dispute of their subtree stays off their device and is read online
(`GET /api/records/disputes/{id}`, written to the access log).  When a held dispute is lowered
to blue/yellow or de-escalated, the next pull evicts it (docs/sync.md "Held set").
Community staff and community admins hold their community's disputes whole.
"""

from __future__ import annotations

from typing import Any

from server.accounts.principal import Principal
from server.geo.privacy import mask_name, masked_text, party_names
from server.permissions import holds_less
from server.specs import PermissionRecord

#: risk levels a supervisor acts on from the phone
ATTENTION_RISKS = frozenset({"orange", "red"})
#: the dispute fields a supervisor's copy reduces (they may not write them from that copy):
#: the parties, and the free text a grid worker may have typed a phone or a name into
REDUCED_DISPUTE_FIELDS = frozenset({"parties", "title", "description"})
_FREE_TEXT = ("title", "description")


def reduced_party(party: Any) -> dict[str, Any]:
    """A party as a supervisor's device holds it: a masked name and the role, nothing else."""
    if not isinstance(party, dict):
        return {"name": "*", "role": None}
    return {"name": mask_name(party.get("name")), "role": party.get("role")}


def needs_supervisor(record: PermissionRecord) -> bool:
    """Whether a dispute is one supervisors act on: orange/red, or escalated."""
    return record.get("risk_level") in ATTENTION_RISKS or record.get("status") == "escalated"


def dispute_on_device(p: Principal, record: PermissionRecord) -> PermissionRecord | None:
    if not holds_less(p):
        return record
    if not needs_supervisor(record):
        return None
    parties = record.get("parties")
    names = party_names(parties)
    copy = {**record}
    for field in _FREE_TEXT:
        if isinstance(record.get(field), str):
            copy[field] = masked_text(record[field], names)
    if parties:
        copy["parties"] = [reduced_party(party) for party in parties]
    return copy
