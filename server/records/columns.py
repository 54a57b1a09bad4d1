"""Columns every synced table shares, and the mapping from schema field types to columns.

A synced record is one row: the schema's fields as typed columns (so SQL can query deadlines,
scopes and statistics), plus its version, tombstone flag and `field_meta` — for each field the
record version that last changed it and the hybrid logical clock of that write, which is what the
merge engine needs to tell a concurrent edit from a causal one.
"""

from __future__ import annotations

from piccolo.columns import JSON, UUID, Boolean, Integer, Text, Timestamptz, Varchar


class SyncedColumns:
    """Mixed into every Piccolo table that backs a synced collection."""

    id = UUID(primary_key=True)
    version = Integer(default=0)
    deleted = Boolean(default=False)
    created_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(null=True, default=None)
    created_by = UUID(null=True, default=None)
    #: {field: [version, hlc]} for every field ever written
    field_meta = JSON(default="{}")


# Column builders for schema field types.  Every schema field is nullable (a device may leave it
# unset), and refs are UUIDs without foreign keys: a device may sync a visit before the server
# has heard of its dispute's sibling records, and tombstones keep references valid anyway.


def ref_column(index: bool = False) -> UUID:
    return UUID(null=True, default=None, index=index)


def when_column(index: bool = False) -> Timestamptz:
    return Timestamptz(null=True, default=None, index=index)


def enum_column() -> Varchar:
    return Varchar(length=32, null=True, default=None)


def str_column(length: int = 200) -> Varchar:
    return Varchar(length=length, null=True, default=None)


def text_column() -> Text:
    return Text(null=True, default=None)


def json_column() -> JSON:
    return JSON(null=True, default=None)
