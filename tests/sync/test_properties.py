"""Random offline interleavings of 2–6 devices against the engine (hypothesis).

Each device keeps a pulled copy of one dispute and an outbox; it edits offline at its pulled
version, pushes prefixes of its outbox (sometimes losing the answer, sometimes skipping the oldest
mutation, sometimes pushing twice), and pulls.  Like the real client it pushes before it pulls,
follows the HLC receive rule, and rebuilds its local view as "pulled copy + outbox".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from server.disputes.schema import DISPUTE_STATES
from sync.engine import push
from sync.hlc import Hlc, ServerClock, format_hlc, parse_hlc
from sync.model import Actor, Mutation, Record, Result
from sync.store import MemoryStore
from sync.validate import canonical_json

NOW = 1_764_000_000_000
RID = "0000000e-0000-4000-8000-000000000001"
COMMUNITY = "00000000-0000-4000-8000-000000000001"
TITLES = ["t0", "t1", "t2", "t3"]
RISKS = ["blue", "yellow", "orange", "red"]
TAGS = ["a", "b", "c", "d", "e"]
INITIAL = {
    "community_id": COMMUNITY,
    "title": "t0",
    "risk_level": "blue",
    "status": "registered",
    "tags": ["a"],
    "address": "x",
}


def _uuid(kind: int, n: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


@dataclass
class Device:
    """A simulated PWA: pulled copy, outbox, HLC, seq counter."""

    index: int
    skew_ms: int
    seq: int = 0
    cursor: int = 0
    pulled: Record | None = None
    outbox: list[Mutation] = field(default_factory=list)
    #: answered, not rejected, with the answer's record_version: shown until pulled
    acked: list[tuple[Mutation, int]] = field(default_factory=list)
    #: the tags delta each outbox mutation made locally (added, removed)
    tag_deltas: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    clock: Hlc = field(default_factory=lambda: Hlc(0, 0, ""))
    lost_answer: bool = False

    @property
    def id(self) -> str:
        return _uuid(0xD, self.index + 1)

    @property
    def actor(self) -> Actor:
        return Actor(_uuid(0xA, self.index + 1), self.id)

    def tick(self, wall: int) -> str:
        ms = max(wall + self.skew_ms, self.clock.ms)
        counter = self.clock.counter + 1 if ms == self.clock.ms else 0
        self.clock = Hlc(ms, counter, self.id)
        return format_hlc(ms, counter, self.id)

    def observe(self, record: Record) -> None:
        for value in record.field_clocks.values():
            seen = parse_hlc(value)
            if (seen.ms, seen.counter) > (self.clock.ms, self.clock.counter):
                self.clock = Hlc(seen.ms, seen.counter, self.id)

    def local(self) -> dict[str, Any]:
        """The pulled copy with the device's own changes the pull does not reflect yet (answered
        at a later version, or still in the outbox) replayed on it, as the client shows it."""
        assert self.pulled is not None
        view = dict(self.pulled.fields)
        pending = [m for m, version in self.acked if version > self.pulled.version]
        for m in [*pending, *self.outbox]:
            for name, value in m.fields.items():
                if name == "tags":
                    added, removed = self.tag_deltas[m.id]
                    tags = [t for t in view.get("tags", []) if t not in removed]
                    view["tags"] = tags + [t for t in added if t not in tags]
                else:
                    view[name] = value
        return view


@dataclass
class World:
    store: MemoryStore
    clock: ServerClock
    devices: list[Device]
    wall: int = NOW
    #: mutation id -> (mutation, device) for every mutation created
    made: dict[str, Mutation] = field(default_factory=dict)
    #: server processing order of non-rejected answers
    processed: list[tuple[Mutation, Result]] = field(default_factory=list)
    tag_deltas: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)


def _new_world(n_devices: int, skews: list[int]) -> World:
    store = MemoryStore()
    clocks = {name: format_hlc(NOW - 3_600_000, 0, "server") for name in INITIAL}
    store.load(
        Record(
            "disputes",
            RID,
            1,
            False,
            dict(INITIAL),
            dict.fromkeys(INITIAL, 1),
            clocks,
            None,
            None,
            None,
        )
    )
    devices = [Device(i, skews[i % len(skews)]) for i in range(n_devices)]
    world = World(store, ServerClock(), devices)
    for dev in devices:
        store.register_device(dev.id, dev.actor.user_id)
        _pull(world, dev)
    return world


def _pull(world: World, dev: Device) -> None:
    records, dev.cursor = world.store.changes_since(dev.cursor)
    for record in records:
        if record.id == RID:
            dev.pulled = record
            dev.observe(record)


def _edit(world: World, dev: Device, kind: int, pick: int) -> None:
    local = dev.local()
    assert dev.pulled is not None
    fields: dict[str, Any]
    if kind == 0:
        fields = {"title": TITLES[pick % len(TITLES)]}
    elif kind == 1:
        fields = {"address": f"addr{pick % 3}"}
    elif kind == 2:
        fields = {"risk_level": RISKS[pick % len(RISKS)]}
    elif kind == 3:
        tag = TAGS[pick % len(TAGS)]
        tags = list(local["tags"])
        tags = [t for t in tags if t != tag] if tag in tags else [*tags, tag]
        fields = {"tags": tags}
    else:
        options = DISPUTE_STATES[local["status"]]
        if not options:
            return
        fields = {"status": options[pick % len(options)]}
    changed = {k: v for k, v in fields.items() if canonical_json(local.get(k)) != canonical_json(v)}
    if not changed:
        return
    world.wall += 7
    dev.seq += 1
    m = Mutation(
        _uuid(0x100 + dev.index, dev.seq),
        dev.seq,
        "disputes",
        RID,
        "upsert",
        dev.pulled.version,
        dev.tick(world.wall),
        changed,
    )
    if "tags" in changed:
        old, new = local["tags"], changed["tags"]
        delta = ([t for t in new if t not in old], [t for t in old if t not in new])
        dev.tag_deltas[m.id] = delta
        world.tag_deltas[m.id] = delta
    dev.outbox.append(m)
    world.made[m.id] = m


def _push(world: World, dev: Device, count: int, mode: int, check_idempotent: bool) -> None:
    """mode 0: normal; 1: the answer is lost; 2: the oldest unanswered mutation is skipped."""
    if not dev.outbox:
        return
    world.wall += 3
    batch = dev.outbox[:count] if mode != 2 else dev.outbox[1 : count + 1]
    if not batch:
        return
    before_last = world.store.last_seq(dev.id)
    outcome = push(world.store, dev.actor, batch, now_ms=world.wall, clock=world.clock)
    for m, result in zip(sorted(batch, key=lambda x: x.seq), outcome.results, strict=False):
        if result.seq > before_last and result.status != "rejected":
            world.processed.append((m, result))
        assert result.id == m.id and result.seq == m.seq
    if check_idempotent:
        snapshot = {k: r.to_json() for k, r in world.store.records.items()}
        feed = world.store.changes_since(0, 10_000)[1]
        again = push(world.store, dev.actor, batch, now_ms=world.wall + 1, clock=world.clock)
        assert [r.to_json() for r in again.results] == [r.to_json() for r in outcome.results]
        assert {k: r.to_json() for k, r in world.store.records.items()} == snapshot
        assert world.store.changes_since(0, 10_000)[1] == feed
    if mode == 1:
        dev.lost_answer = True
        return
    dev.lost_answer = False
    answers = {r.seq: r for r in outcome.results if not (r.error and r.error.code == "seq_gap")}
    for m in dev.outbox:
        answer = answers.get(m.seq)
        if answer is not None and answer.status != "rejected":
            assert answer.record_version is not None
            dev.acked.append((m, answer.record_version))
    dev.outbox = [m for m in dev.outbox if m.seq not in answers]


def _sync_all(world: World) -> None:
    for _ in range(3):
        for dev in world.devices:
            while dev.outbox:
                _push(world, dev, len(dev.outbox), 0, False)
        for dev in world.devices:
            _pull(world, dev)


steps = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 4), st.integers(0, 30)),
    min_size=1,
    max_size=40,
)


def _run(n_devices: int, skews: list[int], plan: list[tuple[int, int, int, int]]) -> World:
    world = _new_world(n_devices, skews)
    for who, action, kind, pick in plan:
        dev = world.devices[who % n_devices]
        if action in (0, 1):
            _edit(world, dev, kind, pick)
        elif action == 2:
            _push(world, dev, 1 + pick % 4, pick % 3, pick % 2 == 0)
        elif dev.lost_answer:  # the client pushes before it pulls
            _push(world, dev, len(dev.outbox), 0, False)
        else:
            _pull(world, dev)
    _sync_all(world)
    return world


scenario = given(
    n_devices=st.integers(2, 6),
    skews=st.lists(st.integers(-60_000, 60_000), min_size=1, max_size=6),
    plan=steps,
)


@scenario
def test_convergence(
    n_devices: int, skews: list[int], plan: list[tuple[int, int, int, int]]
) -> None:
    world = _run(n_devices, skews, plan)
    server = world.store.get("disputes", RID)
    assert server is not None
    for dev in world.devices:
        assert not dev.outbox
        assert dev.pulled is not None
        assert dev.pulled.version == server.version
        assert dev.local() == server.fields


@scenario
def test_no_acknowledged_write_lost(
    n_devices: int, skews: list[int], plan: list[tuple[int, int, int, int]]
) -> None:
    world = _run(n_devices, skews, plan)
    server = world.store.get("disputes", RID)
    assert server is not None
    # lww: the processed write with the highest HLC holds the field.
    for name in ("title", "address"):
        writes = [
            (world_hlc(world, m, r), m.fields[name]) for m, r in world.processed if name in m.fields
        ]
        if writes:
            assert server.fields[name] == max(writes)[1]
    # set: each tag ends as the last processed delta that touched it left it.
    expected = set(INITIAL["tags"])
    for m, _ in world.processed:
        if "tags" in m.fields:
            added, removed = world.tag_deltas[m.id]
            expected = (expected - set(removed)) | set(added)
    assert set(server.fields["tags"]) == expected
    # manual: every processed value was written, was already there, or waits in a conflict.
    conflicts = {c.id: c for c in world.store.conflicts()}
    written = {
        (a.mutation_id, n)
        for a in world.store.applied
        for n in a.after.fields
        if a.mutation_id and n in a.changes
    }
    history = world.store.history[("disputes", RID)]
    for m, result in world.processed:
        if "risk_level" not in m.fields:
            continue
        value = m.fields["risk_level"]
        held = [
            conflicts[c]
            for c in result.conflict_ids
            if conflicts[c].fields["field"] == "risk_level"
        ]
        if held:
            assert held[0].fields["yours"] == value
        elif (m.id, "risk_level") not in written:
            assert any(snap.get("risk_level") == value for snap in history.values())


def world_hlc(world: World, m: Mutation, result: Result) -> str:
    """The HLC the server used for m (re-clocking never happens with these skews)."""
    assert not result.clock_adjusted
    return m.hlc


@given(n_devices=st.integers(2, 4), plan=steps)
def test_replaying_every_batch_changes_nothing(
    n_devices: int, plan: list[tuple[int, int, int, int]]
) -> None:
    world = _run(n_devices, [0], plan)
    snapshot = {k: r.to_json() for k, r in world.store.records.items()}
    for dev in world.devices:
        mine = sorted(
            (m for m in world.made.values() if m.id.startswith(f"{0x100 + dev.index:08x}")),
            key=lambda m: m.seq,
        )
        if not mine:
            continue
        first = push(world.store, dev.actor, mine, now_ms=world.wall, clock=world.clock)
        second = push(world.store, dev.actor, mine, now_ms=world.wall, clock=world.clock)
        assert [r.to_json() for r in first.results] == [r.to_json() for r in second.results]
        assert not first.applied and not second.applied
    assert {k: r.to_json() for k, r in world.store.records.items()} == snapshot
