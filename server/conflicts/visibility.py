"""Which parts of a conflict a reader may see (issue 9, item 1).

A conflict carries copies of the record it is about: `base`/`theirs`/`yours`/`resolution` hold
one field's values (a field conflict) or whole records (a delete conflict).  When that field,
or a field inside those records, is private (a psychologist's session notes), the copies are as
private as the original: only the owner (the user the target's spec names in `private_to`)
reads them.  `permissions.visible_fields` asks this module for every conflict it sends, so a
pull, the audit trail and anything else that shows a conflict strip the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server import permissions, specs
from server.accounts.principal import Principal

#: the fields of a conflict that hold copies of the target's values
VALUE_KEYS = ("base", "theirs", "yours", "resolution")


def _owner_of_whole_records(conflict: Mapping[str, Any], private_to: str) -> str | None:
    """The owner named inside the copied records (the same record, so the same owner)."""
    for key in VALUE_KEYS:
        value = conflict.get(key)
        if isinstance(value, Mapping) and value.get(private_to):
            return str(value[private_to])
    return None


def visible_conflict(reader: Principal, conflict: Mapping[str, Any]) -> Mapping[str, Any]:
    """The conflict without the private values this reader may not read (absent, never null)."""
    reader_id = str(reader.user_id)
    spec = specs.find(str(conflict.get("target_collection")))
    if spec is None or not spec.private_fields or spec.private_to is None:
        return conflict
    private = spec.private_fields
    name = conflict.get("field")
    if isinstance(name, str):  # a field conflict: the values are that field's
        if name.split("#", 1)[0] not in private:
            return conflict
        # only the owner writes a private field, so both sides of the clash are the owner's
        if conflict.get("yours_by") == reader_id and conflict.get("theirs_by") in (None, reader_id):
            return conflict
        return {k: v for k, v in conflict.items() if k not in VALUE_KEYS}
    # a whole-record conflict: keep the copies, minus their private fields
    if _owner_of_whole_records(conflict, spec.private_to) == reader_id:
        return conflict
    return {
        k: (
            {f: x for f, x in v.items() if f not in private}
            if k in VALUE_KEYS and isinstance(v, Mapping)
            else v
        )
        for k, v in conflict.items()
    }


def conflict_on_device(reader: Principal, conflict: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """What a reader's device holds of a conflict.  Supervisors hold only the clashes of their
    own edits (a clash in their subtree is read online), and never the values their copy of
    the target reduces (a dispute's parties): copies of the target are as reduced as the
    target (COMMAND_API.md "Supervisors' devices hold less")."""
    if not permissions.holds_less(reader):
        return conflict
    me = str(reader.user_id)
    if me not in (conflict.get("yours_by"), conflict.get("theirs_by")):
        return None
    spec = specs.find(str(conflict.get("target_collection")))
    reduced = spec.reduced_fields if spec is not None else frozenset()
    if not reduced:
        return conflict
    name = conflict.get("field")
    if isinstance(name, str):
        if name.split("#", 1)[0] in reduced:
            return {k: v for k, v in conflict.items() if k not in VALUE_KEYS}
        return conflict
    return {
        k: (
            {f: x for f, x in v.items() if f not in reduced}
            if k in VALUE_KEYS and isinstance(v, Mapping)
            else v
        )
        for k, v in conflict.items()
    }


__all__ = ["VALUE_KEYS", "conflict_on_device", "visible_conflict"]
