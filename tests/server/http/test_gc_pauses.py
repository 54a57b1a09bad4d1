"""The server freezes long-lived objects out of the collector's way and thaws them for one full
collection per `THAW_SECONDS` (server/http/gc_pauses.py)."""

from __future__ import annotations

import asyncio
import gc

import pytest

from server.http import gc_pauses


async def test_freezes_regularly_thaws_for_a_full_collection_and_unfreezes_at_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    refrozen = asyncio.Event()

    def freeze() -> None:
        calls.append("freeze")
        if "collect" in calls:
            refrozen.set()

    monkeypatch.setattr(gc_pauses, "FREEZE_SECONDS", 0.01)
    monkeypatch.setattr(gc_pauses, "THAW_SECONDS", 0.05)

    def collect() -> int:
        calls.append("collect")
        return 0

    monkeypatch.setattr(gc, "freeze", freeze)
    monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
    monkeypatch.setattr(gc, "collect", collect)

    async with gc_pauses.short_gc_pauses():
        async with asyncio.timeout(30):  # a hang guard, not a timing assertion
            await refrozen.wait()
    thaw = calls.index("unfreeze")
    assert calls[:thaw] and set(calls[:thaw]) == {"freeze"}  # froze before the first thaw
    assert calls[thaw : thaw + 3] == ["unfreeze", "collect", "freeze"]  # thaw, collect, refreeze
    assert calls[-1] == "unfreeze"  # nothing stays frozen after the app stops
