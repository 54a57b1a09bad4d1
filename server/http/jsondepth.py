"""How deeply a JSON text nests, measured on the raw bytes before anything decodes it.

No request body of this API nests more than a handful of levels, yet msgspec happily builds a
value a thousand levels deep, and every recursive walk after it (NUL checks, validation, JSON
encoding for storage) then dies with RecursionError: a 500, and on push a poison pill that
blocks the device's outbox.  Refusing deep bodies at the door keeps every later step safe.
"""

from __future__ import annotations

import re
from itertools import accumulate

#: deeper than any body the API defines (a push: body → mutations → mutation → fields → value)
MAX_JSON_DEPTH = 64

# A JSON string (escapes included): its brackets are text, not structure.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(text: bytes) -> int:
    """The deepest nesting of `text` (0 for a scalar); malformed text is measured as far as it
    goes, and the decoder refuses it afterwards."""
    brackets = _BRACKETS.findall(_STRING.sub(b"", text))
    if not brackets:
        return 0
    return max(0, *accumulate(_STEP[b[0]] for b in brackets))


def looks_like_json(text: bytes, content_type: str) -> bool:
    """Whether a body is (meant as) JSON: by its content type, or, when it names none that
    says otherwise, by its first character."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind.endswith("json"):
        return True
    if kind and kind not in ("text/plain", "application/x-www-form-urlencoded"):
        return False  # images, octet streams and forms are not scanned
    return text.lstrip()[:1] in (b"{", b"[")
