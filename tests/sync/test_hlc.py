"""HLC parsing, formatting, ordering and the server clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.hlc import MAX_SKEW_MS, ServerClock, format_hlc, hlc_device, parse_hlc, too_far_ahead

DEV = "0000000d-0000-4000-8000-000000000001"


def test_round_trip() -> None:
    text = format_hlc(1_764_000_000_000, 42, DEV)
    assert text == f"1764000000000-002a-{DEV}"
    assert parse_hlc(text) == (1_764_000_000_000, 42, DEV)
    assert hlc_device(text) == DEV


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "yesterday",
        f"176400000000-0000-{DEV}",
        f"1764000000000-00AB-{DEV}",
        f"1764000000000-000-{DEV}",
        "1764000000000-0000-",
        "1764000000000-0000-a b",
        None,
        5,
    ],
)
def test_invalid(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_hlc(bad)
    assert hlc_device(bad if isinstance(bad, str) else None) is None


@given(
    st.integers(0, 9_999_999_999_999),
    st.integers(0, 0xFFFF),
    st.integers(0, 9_999_999_999_999),
    st.integers(0, 0xFFFF),
)
def test_string_order_is_time_order(ms1: int, c1: int, ms2: int, c2: int) -> None:
    a, b = format_hlc(ms1, c1, DEV), format_hlc(ms2, c2, DEV)
    assert (a < b) == ((ms1, c1) < (ms2, c2))


def test_skew_limit() -> None:
    now = 1_764_000_000_000
    assert not too_far_ahead(format_hlc(now + MAX_SKEW_MS, 0, DEV), now)
    assert too_far_ahead(format_hlc(now + MAX_SKEW_MS + 1, 0, DEV), now)


def test_server_clock_is_monotonic() -> None:
    clock = ServerClock()
    first = clock.tick(1000)
    same_ms = clock.tick(1000)
    earlier = clock.tick(500)  # the host clock stepped back
    later = clock.tick(2000, DEV)
    assert first < same_ms < earlier
    assert parse_hlc(earlier).ms == 1000
    assert later == format_hlc(2000, 0, DEV)
    assert clock.last == format_hlc(2000, 0, "server")


def test_server_clock_counter_overflow() -> None:
    clock = ServerClock(format_hlc(1000, 0xFFFF, "server"))
    assert clock.tick(1000) == format_hlc(1001, 0, "server")
