"""Runs one case of sync/vectors (format in sync/vectors/README.md) against the engine.

Lives in ``sync/`` rather than the tests so that the server's own store can be checked against
the same cases later (anything implementing ``Store`` plus ``load`` and ``register_device``).

The cases name the server's collections (disputes, psych sessions, ...): register them with
``sync.schema.register_collection`` first.  The tests do it by importing ``server.domains``
(tests/sync/conftest.py), the one place the server registers them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine import push
from .hlc import ServerClock
from .model import Actor, Mutation, MutationError, Record, Result, SetDelta
from .policies import same
from .store import MemoryStore

VECTOR_DIR = Path(__file__).parent / "vectors"


@dataclass(frozen=True, slots=True)
class RuleGate:
    """The vectors' declarative gate: ``{"deny": [{"collection", "op", "field", ...}]}``."""

    deny: tuple[dict[str, Any], ...] = ()

    def check(
        self,
        actor: Actor,
        collection: str,
        current: Record | None,
        proposed: dict[str, Any],
        op: str,
    ) -> MutationError | None:
        record_id = None if current is None else current.id
        for rule in self.deny:
            if "collection" in rule and rule["collection"] != collection:
                continue
            if "op" in rule and rule["op"] != op:
                continue
            if "user_id" in rule and rule["user_id"] != actor.user_id:
                continue
            if "record_id" in rule and rule["record_id"] != record_id:
                continue
            if "field" in rule and rule["field"] not in proposed:
                continue
            details = {"field": rule["field"]} if "field" in rule else {}
            return MutationError("forbidden", "not allowed by the gate", details)
        return None


@dataclass(slots=True)
class CaseRun:
    """A case's store after its pushes, and every mismatch found."""

    store: MemoryStore
    failures: list[str] = field(default_factory=list)


def load_cases(directory: Path = VECTOR_DIR) -> list[dict[str, Any]]:
    """Every case of every vector file, each tagged with its file name."""
    cases = []
    for path in sorted(directory.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            cases.append({**case, "_file": path.name})
    return cases


def build_store(case: dict[str, Any]) -> MemoryStore:
    store = MemoryStore()
    for data in case.get("records", []):
        record = Record.from_json(data)
        history = {int(v): f for v, f in (data.get("history") or {}).items()}
        store.load(record, history)
        for device_id, deltas in (data.get("set_deltas") or {}).items():
            for delta in deltas:
                store.save_set_delta(
                    record.collection, record.id, device_id, SetDelta.from_json(delta)
                )
    for device in case.get("devices", []):
        store.register_device(device["device_id"], device["user_id"], device.get("last_seq", 0))
        for answer in device.get("answers", []):
            store.save_answer(device["device_id"], Result.from_json(answer))
    return store


def _check_result(
    where: str, want: dict[str, Any], got: Result, stored: Result | None
) -> list[str]:
    out = []
    data = got.to_json()
    simple = {
        "seq": "seq",
        "status": "status",
        "record_version": "record_version",
        "clock_adjusted": "clock_adjusted",
        "conflict_ids": "conflict_ids",
    }
    for key, attr in simple.items():
        if key in want and want[key] != data[attr]:
            out.append(f"{where}: {key} {data[attr]!r} != expected {want[key]!r}")
    if "error" in want:
        code = None if got.error is None else got.error.code
        if code != want["error"]:
            out.append(f"{where}: error {code!r} != expected {want['error']!r}")
    if "conflicts" in want and len(got.conflict_ids) != want["conflicts"]:
        out.append(f"{where}: {len(got.conflict_ids)} conflicts != expected {want['conflicts']}")
    for key, value in (want.get("details") or {}).items():
        details = {} if got.error is None else got.error.details
        if key not in details or not same(details[key], value):
            out.append(f"{where}: details.{key} {details.get(key)!r} != expected {value!r}")
    if want.get("same_as_stored") and (stored is None or stored.to_json() != data):
        out.append(f"{where}: answer differs from the stored one")
    return out


def _check_records(case: dict[str, Any], store: MemoryStore) -> list[str]:
    out = []
    expect = case.get("expect") or {}
    for want in expect.get("records", []):
        where = f"record {want['collection']}/{want['id']}"
        rec = store.get(want["collection"], want["id"])
        if rec is None:
            out.append(f"{where}: missing")
            continue
        for key in ("version", "deleted"):
            if key in want and getattr(rec, key) != want[key]:
                out.append(f"{where}: {key} {getattr(rec, key)!r} != expected {want[key]!r}")
        for key in ("fields", "field_versions", "field_clocks"):
            have = getattr(rec, key)
            for name, value in (want.get(key) or {}).items():
                if name not in have or not same(have[name], value):
                    out.append(f"{where}: {key}.{name} {have.get(name)!r} != {value!r}")
        for name in want.get("absent", []):
            if name in rec.fields:
                out.append(f"{where}: field {name} should be absent")
    for want in expect.get("missing", []):
        if store.get(want["collection"], want["id"]) is not None:
            out.append(f"record {want['collection']}/{want['id']}: should not exist")
    return out


def _conflict_matches(want: dict[str, Any], rec: Record) -> bool:
    for key, value in want.items():
        have = getattr(rec, key) if key in ("id", "version") else rec.fields.get(key)
        if not same(have, value):
            return False
    return True


def _check_conflicts(case: dict[str, Any], store: MemoryStore) -> list[str]:
    expect = case.get("expect") or {}
    if "conflicts" not in expect:
        return []
    actual = store.conflicts()
    wanted = expect["conflicts"]
    if len(actual) != len(wanted):
        summary = [c.fields for c in actual]
        return [f"{len(actual)} conflict records != expected {len(wanted)}: {summary}"]
    out = []
    free = list(actual)
    for want in wanted:
        match = next((rec for rec in free if _conflict_matches(want, rec)), None)
        if match is None:
            out.append(f"no conflict matches {want}; have {[c.fields for c in free]}")
        else:
            free.remove(match)
    return out


def run_case(case: dict[str, Any]) -> CaseRun:
    """Run the case's pushes and compare everything it expects."""
    store = build_store(case)
    run = CaseRun(store)
    clock = ServerClock(case.get("server_clock"))
    gate = RuleGate(tuple((case.get("gate") or {}).get("deny", ()))) if case.get("gate") else None
    users = {d["device_id"]: d["user_id"] for d in case.get("devices", [])}
    for index, batch in enumerate(case.get("pushes", [])):
        device = batch["device_id"]
        actor = Actor(users[device], device)
        mutations = [Mutation.from_json(m) for m in batch["mutations"]]
        stored = {m.seq: store.get_answer(device, m.seq) for m in mutations}
        outcome = push(
            store,
            actor,
            mutations,
            now_ms=batch.get("now_ms", case["now_ms"]),
            gate=gate,
            clock=clock,
        )
        expect = batch.get("expect") or {}
        where = f"push {index}"
        if "results" in expect:
            wants = expect["results"]
            if len(wants) != len(outcome.results):
                run.failures.append(
                    f"{where}: {len(outcome.results)} results != expected {len(wants)}: "
                    f"{[r.to_json() for r in outcome.results]}"
                )
            for i, (want, got) in enumerate(zip(wants, outcome.results, strict=False)):
                run.failures.extend(
                    _check_result(f"{where} result {i}", want, got, stored.get(got.seq))
                )
        if "stopped_at_gap" in expect and expect["stopped_at_gap"] != outcome.stopped_at_gap:
            run.failures.append(f"{where}: stopped_at_gap {outcome.stopped_at_gap}")
    run.failures.extend(_check_records(case, store))
    run.failures.extend(_check_conflicts(case, store))
    for device, seq in ((case.get("expect") or {}).get("last_seq") or {}).items():
        if store.last_seq(device) != seq:
            run.failures.append(f"last_seq of {device}: {store.last_seq(device)} != {seq}")
    return run
