"""The canonical content of an agreement and its SHA-256: the hash printed in the document's
footer and kept on the record (`content_sha256`), so a printed copy can be checked against the
record.

The canonical form (docs/agreements.md repeats it for anyone recomputing it) is the UTF-8
bytes of this JSON object, keys sorted, no whitespace (`separators=(",", ":")`), non-ASCII
characters written as themselves (`ensure_ascii=False`):

    {"agreement_id": "<uuid>", "dispute_id": "<uuid>",
     "parties": [{"id_number_last4", "name", "role"} ...],      sorted by name
     "facts": "<text>", "terms": "<text>", "mediator_id": "<uuid>" | null,
     "signatures": [{"attachment", "party_name", "signed_at"} ...]}   sorted by party_name

Absent text is "", absent lists are [].  It holds what the parties sign and the images of
their signatures; not the court steps, which happen after signing and do not change the text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def _sorted_items(items: Any, key: str) -> list[dict[str, Any]]:
    listed = [dict(item) for item in items or [] if isinstance(item, dict)]
    return sorted(
        listed, key=lambda item: (str(item.get(key, "")), json.dumps(item, sort_keys=True))
    )


def canonical_content(agreement_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "agreement_id": str(agreement_id),
        "dispute_id": str(fields.get("dispute_id") or ""),
        "parties": _sorted_items(fields.get("parties"), "name"),
        "facts": str(fields.get("facts") or ""),
        "terms": str(fields.get("terms") or ""),
        "mediator_id": fields.get("mediator_id") or None,
        "signatures": _sorted_items(fields.get("signatures"), "party_name"),
    }


def canonical_bytes(agreement_id: str, fields: Mapping[str, Any]) -> bytes:
    content = canonical_content(agreement_id, fields)
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_sha256(agreement_id: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(agreement_id, fields)).hexdigest()
