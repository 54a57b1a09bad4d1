"""A record's case history: who did what, when, in words (COMMAND_API.md, 责任倒查).

Built from the audit trail (every field change of every version, server/replication/audit.py's
table) with the lifecycle facts' times for state and level changes (server/replication/
facts.py: the server's time of the change).  Generic over collections: the record's own
history in full, plus the creation, deletion and state/level changes of the records that point
at it (a dispute's visits, dispatch orders, warnings; found through the schema's ref fields, or
a `<name>_id` + `<name>_collection` pair for warnings and conflicts), each only if the reader
may read it.

What the reader sees follows the read rules exactly: 404 for an unknown collection or record,
403 outside their scope; a record with fields private to one user (a psych session's notes) has
a history for that user alone.  Values are shown only for states, levels and flags (as words);
other fields are named, never quoted, so the history holds no personal data beyond what the
record view shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from server import permissions, specs
from server.accounts.principal import Principal
from server.accounts.tables import User
from server.http.errors import ApiError
from server.org.tree import OrgTree, load_tree
from server.replication.backends.current import backend
from server.replication.rows import iso
from server.replication.tables import AuditEntry, LifecycleFact
from server.replication.visible import load_feed_records
from server.timeline import words
from server.timeline.words import Lang, pick, value_label, word
from sync.model import DELETED_KEY, Record

#: most events one answer holds (the oldest are kept: a history reads from the start)
MAX_EVENTS = 1000
#: most related records followed per relation
MAX_RELATED = 200


@dataclass
class Subject:
    """A record whose history is told: the one asked for, or one pointing at it."""

    collection: str
    record: Record
    main: bool


@dataclass
class Event:
    at: datetime
    order: tuple[int, int, int]
    user_id: UUID | None
    what: str
    old: str | None = None
    new: str | None = None
    collection: str = ""
    record_id: str = ""
    field: str | None = None


def _uuid(value: Any) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        return None


def may_see_history(
    p: Principal, tree: OrgTree, collection: str, record: Record, derived: dict[str, Any]
) -> bool:
    """A read of the record, and for records with fields private to one user (a psych
    session's notes), being that user."""
    spec = specs.get(collection)
    as_dict = {**record.fields, "id": record.id, "created_by": record.created_by, **derived}
    if not permissions.can_read(p, tree, collection, as_dict):
        return False
    if spec.private_fields and spec.private_to is not None:
        return permissions.id_of(as_dict.get(spec.private_to)) == str(p.user_id)
    return True


async def _load_subject(p: Principal, tree: OrgTree, collection: str, record_id: UUID) -> Record:
    loaded = (
        await load_feed_records(backend(), [{"collection": collection, "record_id": record_id}])
    ).get((collection, str(record_id)))
    if loaded is None:
        raise ApiError(404, "not_found", "记录不存在 (no such record)")
    record, derived = loaded
    if not may_see_history(p, tree, collection, record, derived):
        raise ApiError(403, "forbidden", "该记录不在您的范围内 (this record is outside your scope)")
    return record


def _relations(target: str) -> list[tuple[str, str, str | None]]:
    """(collection, id field, kind field) of every field that can point at a `target` record."""
    out: list[tuple[str, str, str | None]] = []
    for spec in specs.all_specs():
        schema = spec.schema
        if not schema.device_writable and not schema.server_created:
            continue  # the directory: users and org units point at no case
        for name, f in schema.fields.items():
            if f.type != "ref" or not name.endswith("_id"):
                continue
            kind = name[: -len("_id")] + "_collection"
            if kind in schema.fields:
                out.append((spec.name, name, kind))
            elif f.ref == target:
                out.append((spec.name, name, None))
    return out


async def _related(p: Principal, tree: OrgTree, collection: str, record_id: UUID) -> list[Subject]:
    found: list[Subject] = []
    for other, id_field, kind_field in _relations(collection):
        table = specs.get(other).table
        column = getattr(table, id_field)
        query = table.select(table._meta.primary_key).where(column == record_id)
        if kind_field is not None:
            query = query.where(getattr(table, kind_field) == collection)
        rows = await query.limit(MAX_RELATED)
        if not rows:
            continue
        loaded = await load_feed_records(
            backend(), [{"collection": other, "record_id": _uuid(r["id"])} for r in rows]
        )
        for record, derived in loaded.values():
            if may_see_history(p, tree, other, record, derived):
                found.append(Subject(other, record, main=False))
    return found


async def _audit(subjects: list[Subject]) -> dict[str, list[dict[str, Any]]]:
    ids = [UUID(s.record.id) for s in subjects]
    rows = (
        await AuditEntry.select()
        .where(AuditEntry.record_id.is_in(ids))
        .order_by(AuditEntry.version)
        .order_by(AuditEntry._meta.primary_key)
        .output(load_json=True)
    )
    by_record: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_record[f"{row['collection']}/{row['record_id']}"].append(row)
    return by_record


async def _fact_times(subjects: list[Subject]) -> dict[tuple[str, int, str], datetime]:
    """When each (record, version, field) change happened, by the server's clock of the change."""
    ids = [UUID(s.record.id) for s in subjects]
    rows = await LifecycleFact.select(
        LifecycleFact.record_id, LifecycleFact.record_version, LifecycleFact.field, LifecycleFact.at
    ).where(LifecycleFact.record_id.is_in(ids))
    return {(str(r["record_id"]), int(r["record_version"]), r["field"]): r["at"] for r in rows}


def _sentences(
    subject: Subject,
    version: int,
    entries: list[dict[str, Any]],
    fact_times: dict[tuple[str, int, str], datetime],
    lang: Lang,
    first: bool,
) -> list[Event]:
    """The events of one version of one record (the changes one write made)."""
    collection, record = subject.collection, subject.record
    spec = specs.get(collection)
    private = permissions.private_fields(collection)
    facts = spec.fact_field_names
    changes = {
        e["field"]: (e["old"], e["new"])
        for e in entries
        if "#" not in e["field"] and e["field"].split("#", 1)[0] not in private
    }
    if not changes:
        return []
    at: datetime = entries[0]["at"]
    user = _uuid(entries[0]["user_id"])
    thing = word(words.COLLECTIONS, collection, lang)
    prefix = "" if subject.main else (f"{thing}: " if lang == "en" else f"{thing}：")
    out: list[Event] = []

    def event(
        what: str, name: str | None = None, old: Any = None, new: Any = None, when: datetime = at
    ) -> Event:
        return Event(
            at=when,
            order=(0 if subject.main else 1, version, len(out)),
            user_id=user,
            what=prefix + what,
            old=value_label(old, lang),
            new=value_label(new, lang),
            collection=collection,
            record_id=record.id,
            field=name,
        )

    # a create is a change of every field from nothing, the record's first
    created = first and DELETED_KEY not in changes and all(o is None for o, _ in changes.values())
    if created:
        state = next((n for n in spec.schema.states if n in changes), None)
        level = next(
            (n for n in ("risk_level", "level") if n in changes and n not in private), None
        )
        if collection == "warnings" and level:
            what = (
                f"raised a {value_label(changes[level][1], lang)} warning"
                if lang == "en"
                else f"发出{value_label(changes[level][1], lang)}预警"
            )
        else:
            what = f"created the {thing}" if lang == "en" else f"新建{thing}"
            if level and changes[level][1]:
                label = value_label(changes[level][1], lang)
                what += f" (risk level {label})" if lang == "en" else f"（风险等级：{label}）"
        out.append(event(what, state, None, changes[state][1] if state else None))
        return out
    if DELETED_KEY in changes:
        deleted = bool(changes[DELETED_KEY][1])
        if lang == "en":
            what = f"{'deleted' if deleted else 'restored'} the {thing}"
        else:
            what = f"{'删除了' if deleted else '恢复了'}{thing}"
        out.append(event(what, DELETED_KEY))
    edited: list[str] = []
    for name, (old, new) in changes.items():
        if name == DELETED_KEY:
            continue
        when = fact_times.get((record.id, version, name), at)
        label = word(words.FIELDS, name, lang)
        if name == "acknowledged_by":
            out.append(event("acknowledged it" if lang == "en" else "确认收到", name, when=when))
        elif name == "last_chased_at":
            out.append(event("chased it (督办)" if lang == "en" else "催办", name, when=when))
        elif name == "arrival":
            out.append(event("checked in on site" if lang == "en" else "到场签到", name, when=when))
        elif name in facts:
            if lang == "en":
                what = f"changed {label} from {value_label(old, lang) or '—'} to {value_label(new, lang) or '—'}"
            else:
                what = f"{label}由「{value_label(old, lang) or '无'}」改为「{value_label(new, lang) or '无'}」"
            out.append(event(what, name, old, new, when))
        elif subject.main:
            edited.append(label)
    if edited:
        what = ("edited " + ", ".join(edited)) if lang == "en" else "修改了" + "、".join(edited)
        out.append(event(what))
    return out


async def _people(user_ids: Iterable[UUID]) -> dict[UUID, dict[str, Any]]:
    wanted = sorted({u for u in user_ids if u is not None}, key=str)
    if not wanted:
        return {}
    rows = await User.select(User.id, User.display_name, User.role).where(User.id.is_in(wanted))
    return {_uuid(r["id"]) or UUID(int=0): r for r in rows}


def parse_record_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError as exc:
        raise ApiError(
            400,
            "invalid_request",
            "记录编号无效 (the record id is not a valid id)",
            {"field": "id"},
        ) from exc


async def case_history(
    principal: Principal, collection: str, raw_id: str, lang: Lang
) -> dict[str, Any]:
    """`{"events": [{"at", "who", "role", "what", "from", "to", ...}]}`, oldest first."""
    if specs.find(collection) is None:
        raise ApiError(
            404,
            "not_found",
            f"没有这类记录 (no collection named {collection!r})",
            {"field": "collection"},
        )
    record_id = parse_record_id(raw_id)
    tree = await load_tree()
    record = await _load_subject(principal, tree, collection, record_id)
    subjects = [Subject(collection, record, main=True)]
    subjects += await _related(principal, tree, collection, record_id)
    audit = await _audit(subjects)
    fact_times = await _fact_times(subjects)
    events: list[Event] = []
    for subject in subjects:
        by_version: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for entry in audit.get(f"{subject.collection}/{subject.record.id}", []):
            by_version[int(entry["version"])].append(entry)
        for position, version in enumerate(sorted(by_version)):
            events += _sentences(
                subject, version, by_version[version], fact_times, lang, first=position == 0
            )
    events.sort(key=lambda e: (e.at, e.order))
    truncated = len(events) > MAX_EVENTS
    events = events[:MAX_EVENTS]
    people = await _people(e.user_id for e in events if e.user_id)
    out = []
    for e in events:
        person = people.get(e.user_id) if e.user_id else None
        role = str(person["role"]) if person else "server" if e.user_id is None else ""
        who = (
            str(person["display_name"])
            if person
            else pick(words.SYSTEM if e.user_id is None else words.SOMEONE, lang)
        )
        out.append(
            {
                "at": iso(e.at),
                "who": who,
                "role": word(words.ROLES, role, lang) if role else "",
                "what": e.what,
                "from": e.old,
                "to": e.new,
                "role_code": role or None,
                "user_id": str(e.user_id) if e.user_id else None,
                "collection": e.collection,
                "record_id": e.record_id,
                "field": e.field,
            }
        )
    return {
        "collection": collection,
        "record_id": str(record_id),
        "language": lang,
        "truncated": truncated,
        "events": out,
    }
