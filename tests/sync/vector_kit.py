"""Small constructors for writing the sync vectors by hand (used by build_vectors.py).

Expectations are always written out literally in the cases; these helpers only save typing
for the records, mutations and ids.
"""

from __future__ import annotations

from typing import Any

from sync.context import conflict_id
from sync.hlc import format_hlc
from sync.times import rfc3339_from_ms

NOW = 1_764_000_000_000  # 2025-11-24T16:00:00.000Z
HOUR = 3_600_000


def u(n: int, kind: int = 0) -> str:
    """A readable, valid lowercase UUID: kind picks the family (record, user, device...)."""
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


# users and devices
UA, UB, UC = u(1, 0xA), u(2, 0xA), u(3, 0xA)
DA, DB, DC = u(1, 0xD), u(2, 0xD), u(3, 0xD)
USER_OF = {DA: UA, DB: UB, DC: UC}
# org units
COMMUNITY, OTHER_COMMUNITY, ROOM1, ROOM2, DEPT = (u(n, 0x0) for n in (1, 2, 3, 4, 5))
PSY = u(9, 0xA)
# records
R1, R2, R3, R4, R5 = (u(n, 0xE) for n in (1, 2, 3, 4, 5))
SHA_A, SHA_B, SHA_C = ("a" * 64, "b" * 64, "c" * 64)


def hlc(offset_ms: int = 0, counter: int = 0, device: str = DA) -> str:
    return format_hlc(NOW + offset_ms, counter, device)


def at(offset_ms: int = 0) -> str:
    return rfc3339_from_ms(NOW + offset_ms)


def mid(seq: int, device: str = DA) -> str:
    """Mutation ids: unique per device and seq."""
    return u(seq, 0x100 + int(device[-12:], 16))


def cid(seq: int, field: str | None, device: str = DA) -> str:
    """The conflict id the engine derives for mutation (device, seq) on ``field``."""
    return conflict_id(mid(seq, device), field)


def rec(
    collection: str,
    rid: str,
    version: int,
    fields: dict[str, Any],
    *,
    fv: dict[str, int] | None = None,
    fc: dict[str, str] | None = None,
    deleted: bool = False,
    history: dict[int, dict[str, Any]] | None = None,
    set_deltas: dict[str, Any] | None = None,
    created_by: str = UC,
) -> dict[str, Any]:
    """A stored record.  Unlisted field versions default to 1, clocks to an hour ago on DC."""
    versions = {name: 1 for name in fields}
    versions.update(fv or {})
    clocks = {name: hlc(-HOUR, 0, DC) for name in versions}
    clocks.update(fc or {})
    out: dict[str, Any] = {
        "collection": collection,
        "id": rid,
        "version": version,
        "deleted": deleted,
        "fields": fields,
        "field_versions": versions,
        "field_clocks": clocks,
        "created_at": at(-2 * HOUR),
        "updated_at": at(-HOUR),
        "created_by": created_by,
        "history": {str(k): v for k, v in (history or {}).items()},
    }
    if set_deltas:
        out["set_deltas"] = set_deltas
    return out


def dispute(rid: str = R1, version: int = 1, **over: Any) -> dict[str, Any]:
    """A dispute's fields: a typical registered, blue dispute."""
    fields: dict[str, Any] = {
        "community_id": COMMUNITY,
        "title": "Noise at night",
        "risk_level": "blue",
        "status": "registered",
        "tags": [],
    }
    fields.update(over)
    return fields


def mut(
    seq: int,
    collection: str,
    rid: str,
    fields: dict[str, Any] | None = None,
    *,
    base: int = 1,
    op: str = "upsert",
    device: str = DA,
    clock: str | None = None,
) -> dict[str, Any]:
    return {
        "id": mid(seq, device),
        "seq": seq,
        "collection": collection,
        "record_id": rid,
        "op": op,
        "base_version": base,
        "hlc": clock if clock is not None else hlc(0, seq, device),
        "fields": fields or {},
    }


def res(
    status: str, error: str | None = None, version: int | None = None, **more: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "error": error}
    if status == "rejected" and error != "seq_gap" and "record_version" not in more:
        out["record_version"] = None
    elif version is not None:
        out["record_version"] = version
    out.update(more)
    return out


def batch(
    device: str,
    mutations: list[dict[str, Any]],
    results: list[dict[str, Any]],
    *,
    stopped: bool = False,
    now_ms: int | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "device_id": device,
        "mutations": mutations,
        "expect": {"results": results, "stopped_at_gap": stopped},
    }
    if now_ms is not None:
        out["now_ms"] = now_ms
    return out


def device(
    dev: str, last_seq: int = 0, answers: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "device_id": dev,
        "user_id": USER_OF[dev],
        "last_seq": last_seq,
        "answers": answers or [],
    }


def case(
    name: str,
    description: str,
    *,
    records: list[dict[str, Any]] | None = None,
    pushes: list[dict[str, Any]],
    expect: dict[str, Any] | None = None,
    devices: list[dict[str, Any]] | None = None,
    gate: dict[str, Any] | None = None,
    server_clock: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "description": description,
        "now_ms": NOW,
        "server_clock": server_clock,
        "records": records or [],
        "devices": devices or [device(DA), device(DB), device(DC)],
        "pushes": pushes,
        "expect": expect or {},
    }
    if gate is not None:
        out["gate"] = gate
    return out


def want(
    collection: str,
    rid: str,
    version: int,
    fields: dict[str, Any] | None = None,
    *,
    deleted: bool = False,
    **more: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "collection": collection,
        "id": rid,
        "version": version,
        "deleted": deleted,
        "fields": fields or {},
    }
    out.update(more)
    return out
