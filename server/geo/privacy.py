"""What a map label may show: a record's title without phone or ID numbers and with its
parties' names masked (张三 → 张*), as the supervisors' devices hold them (COMMAND_API.md
"Supervisors' devices hold less")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

#: mainland mobile numbers, landlines with an area code, and 18-character ID numbers
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-?\d{7,8}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9Xx])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9Xx])")
MAX_TITLE = 120


def mask_name(name: Any) -> str:
    """张三 → 张*: the first character and one star (the length is not told either), the form
    COMMAND_API.md gives for a party on a supervisor's device; the map and titles use it too."""
    text = str(name or "").strip()
    return f"{text[0]}*" if text else "*"


def party_names(parties: Any) -> list[str]:
    names = []
    for party in parties if isinstance(parties, list) else []:
        name = party.get("name") if isinstance(party, dict) else None
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def safe_title(text: Any, names: Iterable[str] = ()) -> str:
    """`text` fit for the map: no phone or ID numbers, no party's full name, at most 120
    characters."""
    out = masked_text(text, names)
    return out if len(out) <= MAX_TITLE else out[: MAX_TITLE - 1] + "…"


def masked_text(text: Any, names: Iterable[str] = ()) -> str:
    """Free text with phone and ID numbers masked and the parties' full names masked."""
    if not isinstance(text, str):
        return ""
    out = _ID_NUMBER.sub(r"\1********\2", text)
    out = _MOBILE.sub(r"\1****\2", out)
    out = _LANDLINE.sub(r"\1-********", out)
    for name in sorted(set(names), key=len, reverse=True):
        if len(name) >= 2:
            out = out.replace(name, mask_name(name))
    return out
