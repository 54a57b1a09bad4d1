"""What the sync engine needs beyond the records: the change feed, every version's snapshot,
the answers already given to each device, the audit trail and the feed counter."""

from __future__ import annotations

from piccolo.columns import JSON, UUID, BigInt, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class FeedCounter(Table, tablename="sync_counter"):
    """One row.  Taking the next feed numbers locks it until commit, so feed numbers become
    visible in the order they were handed out (docs/sync.md, "No gap")."""

    id = Integer(primary_key=True)
    value = BigInt(default=0)


class FeedEntry(Table, tablename="sync_feed"):
    """The latest change of each record: a pull reads `seq > cursor` in seq order."""

    key = Varchar(length=120, unique=True)  # "<collection>/<record id>"
    seq = BigInt(index=True)
    collection = Varchar(length=64)
    record_id = UUID()
    version = Integer()
    deleted = Boolean(default=False)
    #: the org unit that scopes the record, and the user who owns it (inbox, psych sessions)
    scope_org_id = UUID(null=True, default=None, index=True)
    owner_id = UUID(null=True, default=None, index=True)


class RecordVersion(Table, tablename="record_versions"):
    """Every version of every record: the merge base for later edits and the history users see.
    `discarded` keeps the losing values of last-writer-wins merges."""

    key = Varchar(length=130, unique=True)  # "<collection>/<record id>/<version>"
    collection = Varchar(length=64)
    record_id = UUID(index=True)
    version = Integer()
    fields = JSON()
    discarded = JSON(null=True, default=None)
    hlc = Varchar(length=80, null=True, default=None)
    user_id = UUID(null=True, default=None)
    device_id = UUID(null=True, default=None)
    mutation_id = UUID(null=True, default=None)
    at = Timestamptz()


class DeviceAnswer(Table, tablename="device_answers"):
    """The stored result of each answered mutation: a repeat gets this, never a second apply."""

    key = Varchar(length=60, unique=True)  # "<device id>/<seq>"
    device_id = UUID(index=True)
    seq = BigInt()
    mutation_id = UUID()
    result = JSON()
    at = Timestamptz()


class AuditEntry(Table, tablename="audit_log"):
    """Append-only: who changed which field of which record, when, from which device."""

    at = Timestamptz(index=True)
    user_id = UUID(null=True, default=None, index=True)
    device_id = UUID(null=True, default=None)
    collection = Varchar(length=64)
    record_id = UUID(index=True)
    version = Integer()
    field = Varchar(length=64)
    old = JSON(null=True, default=None)
    new = JSON(null=True, default=None)
    mutation_id = UUID(null=True, default=None)


class DeviceSetDeltas(Table, tablename="device_set_deltas"):
    """What each device's mutations did to a record's set fields (added, removed), oldest
    first: replayed on the base snapshot they rebuild the device's local view, the true base
    of the set merge (sync/model.py SetDelta).  Only the last few are kept."""

    key = Varchar(length=160, unique=True)  # "<collection>/<record id>/<device id>"
    deltas = JSON()


class LifecycleFact(Table, tablename="lifecycle_facts"):
    """Append-only: one row per applied change of a state field or of a spec's `fact_fields`
    (a create counts as a change from null), written in the transaction of the change
    (`server/replication/facts.py`).  Every figure of the command view is computed from these
    and the records (docs/command.md)."""

    collection = Varchar(length=64)
    record_id = UUID()
    field = Varchar(length=64)
    #: the values as text: an enum's name, a number's digits, JSON for a list (null: none)
    from_value = Text(null=True, default=None)
    to_value = Text(null=True, default=None)
    #: the server's clock when it applied the change (the push's or the job's time)
    at = Timestamptz()
    #: when the record was created (server time), so durations need no join
    record_created_at = Timestamptz(null=True, default=None)
    record_version = Integer()
    by_user = UUID(null=True, default=None)
    by_device = UUID(null=True, default=None)
    #: the org unit that scopes the record (its community), for figures of a subtree
    scope_org_id = UUID(null=True, default=None)
