"""The merge policies in isolation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.disputes.schema import DISPUTE_STATES
from sync.model import Rejected
from sync.policies import APPLY, CONFLICT, KEEP, merge_field, merge_set
from sync.schema import COLLECTIONS

F = COLLECTIONS["disputes"].fields
H1, H2 = "1764000000000-0000-a", "1764000000001-0000-b"


def test_lww() -> None:
    args = {"base": "a", "theirs": "b", "yours": "c"}
    out = merge_field(F["title"], None, concurrent=True, theirs_hlc=H1, yours_hlc=H2, **args)
    assert (out.kind, out.value, out.discarded) == (APPLY, "c", "b")
    out = merge_field(F["title"], None, concurrent=True, theirs_hlc=H2, yours_hlc=H1, **args)
    assert (out.kind, out.discarded) == (KEEP, "c")
    out = merge_field(F["title"], None, concurrent=False, theirs_hlc=H2, yours_hlc=H1, **args)
    assert (out.kind, out.value) == (APPLY, "c")


def test_manual() -> None:
    f = F["risk_level"]
    assert (
        merge_field(
            f,
            None,
            base="blue",
            theirs="red",
            yours="orange",
            concurrent=True,
            theirs_hlc=H1,
            yours_hlc=H2,
        ).kind
        == CONFLICT
    )
    assert (
        merge_field(
            f,
            None,
            base="blue",
            theirs="red",
            yours="red",
            concurrent=True,
            theirs_hlc=H1,
            yours_hlc=H2,
        ).kind
        == KEEP
    )
    assert (
        merge_field(
            f,
            None,
            base="blue",
            theirs="blue",
            yours="red",
            concurrent=False,
            theirs_hlc=H1,
            yours_hlc=H2,
        ).kind
        == APPLY
    )


def test_state() -> None:
    f = F["status"]
    ok = merge_field(
        f,
        DISPUTE_STATES,
        base="registered",
        theirs="mediating",
        yours="escalated",
        concurrent=True,
        theirs_hlc=H1,
        yours_hlc=H2,
    )
    assert ok.kind == APPLY
    held = merge_field(
        f,
        DISPUTE_STATES,
        base="registered",
        theirs="withdrawn",
        yours="mediating",
        concurrent=True,
        theirs_hlc=H1,
        yours_hlc=H2,
    )
    assert (held.kind, held.conflict_kind) == (CONFLICT, "state")
    with pytest.raises(Rejected) as info:
        merge_field(
            f,
            DISPUTE_STATES,
            base="registered",
            theirs="registered",
            yours="closed",
            concurrent=False,
            theirs_hlc=H1,
            yours_hlc=H2,
        )
    assert info.value.error.code == "invalid_transition"


def test_server_policy_rejects() -> None:
    with pytest.raises(Rejected):
        merge_field(
            COLLECTIONS["dispatch_orders"].fields["overdue"],
            None,
            base=None,
            theirs=False,
            yours=True,
            concurrent=False,
            theirs_hlc=None,
            yours_hlc=H1,
        )


items = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), unique=True)


@given(items, items, items)
def test_set_formula(base: list[str], theirs: list[str], yours: list[str]) -> None:
    merged = merge_set(base, theirs, yours)
    expected = (set(theirs) | (set(yours) - set(base))) - (set(base) - set(yours))
    assert set(merged) == expected
    assert len(merged) == len(set(merged))
    # stable order: theirs' surviving items keep their order and come first
    survivors = [x for x in theirs if x in expected]
    assert merged[: len(survivors)] == survivors


@given(items, items)
def test_set_without_concurrency_is_yours(base: list[str], yours: list[str]) -> None:
    assert set(merge_set(base, base, yours)) == set(yours)


def test_set_objects_by_canonical_json() -> None:
    li = {"name": "Li", "phone": "1", "role": "x"}
    merged = merge_set([li], [li], [{"role": "x", "phone": "1", "name": "Li"}])
    assert merged == [li]
