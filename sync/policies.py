"""Per-field merge policies (SYNC_PROTOCOL.md "Field policies").

Each function decides one field of one mutation from six facts: the value at the device's base
version, the server's current value ("theirs"), the device's value ("yours"), whether someone
else changed the field since the base ("concurrent"), and the two values' HLCs.  They are pure so
the property tests and the PWA can check them in isolation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import reject
from .schema import Field
from .validate import canonical_json

#: Kinds of :class:`Outcome`.
APPLY, KEEP, CONFLICT = "apply", "keep", "conflict"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happens to one field.

    ``apply``: write ``value``; ``keep``: leave the server's value (nothing to write);
    ``conflict``: leave the server's value and open a conflict of ``conflict_kind``.
    ``discarded`` is the value that lost an lww race (``has_discarded`` tells None from "none").
    """

    kind: str
    value: Any = None
    conflict_kind: str | None = None
    discarded: Any = None
    has_discarded: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def same(a: Any, b: Any) -> bool:
    """Value equality as JSON sees it (so 1 == 1.0 but True != 1, and key order is ignored)."""
    return canonical_json(a) == canonical_json(b)


def merge_lww(
    theirs: Any, yours: Any, *, concurrent: bool, theirs_hlc: str | None, yours_hlc: str
) -> Outcome:
    """Last writer wins by HLC; a non-concurrent edit always applies (the device saw theirs).

    A concurrent write of the same value with a higher HLC still applies (only the field's
    clock moves): otherwise a third, concurrent write with an HLC in between would beat it.
    """
    if same(theirs, yours):
        if concurrent and theirs_hlc is not None and yours_hlc > theirs_hlc:
            return Outcome(APPLY, yours)
        return Outcome(KEEP)
    if not concurrent:
        return Outcome(APPLY, yours)
    if theirs_hlc is None or yours_hlc > theirs_hlc:
        return Outcome(APPLY, yours, discarded=theirs, has_discarded=True)
    return Outcome(KEEP, discarded=yours, has_discarded=True)


def merge_manual(theirs: Any, yours: Any, *, concurrent: bool) -> Outcome:
    """Concurrent different values go to a person; the server keeps its value meanwhile."""
    if same(theirs, yours):
        return Outcome(KEEP)
    if not concurrent:
        return Outcome(APPLY, yours)
    return Outcome(CONFLICT, conflict_kind="field")


def merge_set(base: list[Any] | None, theirs: list[Any] | None, yours: list[Any]) -> list[Any]:
    """``(theirs ∪ (yours − base)) − (base − yours)``, items compared by canonical JSON.

    Order is stable: theirs' order first, then yours' new items in yours' order, so every
    replica that merges the same inputs lists the same items in the same order.
    """
    base_keys = {canonical_json(x) for x in (base or [])}
    your_keys = {canonical_json(x) for x in yours}
    removed = base_keys - your_keys
    out: list[Any] = []
    seen: set[str] = set()
    for item in [*(theirs or []), *(x for x in yours if canonical_json(x) not in base_keys)]:
        key = canonical_json(item)
        if key in removed or key in seen:
            continue
        seen.add(key)
        out.append(item)
    return out


def allowed(machine: dict[str, tuple[str, ...]], current: Any, target: Any) -> bool:
    """Whether the state machine allows ``current → target`` (unset → anything is allowed)."""
    if current is None:
        return target in machine
    return target in machine.get(current, ())


def merge_state(
    f: Field, machine: dict[str, tuple[str, ...]], theirs: Any, yours: Any, *, concurrent: bool
) -> Outcome:
    """State fields move only along the machine.

    Not concurrent: the device saw ``theirs``, so a disallowed move is the device's mistake and
    rejects the whole mutation.  Concurrent: the device saw an older state; apply yours when the
    machine allows it from the state the server has now, else let a person decide.
    """
    if same(theirs, yours):
        return Outcome(KEEP)
    if allowed(machine, theirs, yours):
        return Outcome(APPLY, yours)
    if not concurrent:
        raise reject(
            "invalid_transition",
            f"{f.name} cannot go from {theirs} to {yours}",
            field=f.name,
            **{"from": theirs, "to": yours},
        )
    return Outcome(CONFLICT, conflict_kind="state")


def merge_field(
    f: Field,
    machine: dict[str, tuple[str, ...]] | None,
    *,
    base: Any,
    theirs: Any,
    yours: Any,
    concurrent: bool,
    theirs_hlc: str | None,
    yours_hlc: str,
) -> Outcome:
    """Dispatch on the field's policy.  ``immutable`` and ``server`` fields were validated
    already (an unchanged immutable value is a no-op here)."""
    policy = f.policy
    if policy == "lww":
        return merge_lww(
            theirs, yours, concurrent=concurrent, theirs_hlc=theirs_hlc, yours_hlc=yours_hlc
        )
    if policy == "manual":
        return merge_manual(theirs, yours, concurrent=concurrent)
    if policy == "set":
        merged = merge_set(base, theirs, yours)
        return Outcome(KEEP) if same(merged, theirs) else Outcome(APPLY, merged)
    if policy == "state":
        return merge_state(f, machine or {}, theirs, yours, concurrent=concurrent)
    if policy == "immutable":
        return Outcome(KEEP) if same(theirs, yours) else Outcome(APPLY, yours)
    raise reject("read_only_field", f"{f.name} is written by the server only", field=f.name)
