"""Short garbage-collection pauses in a server holding thousands of open streams.

Each open app holds a poke stream, and each stream keeps a few hundred Python objects alive for
half an hour.  CPython's full collection walks every tracked object, so with 10,000 streams per
process a full collection stopped the event loop for 0.2–1 s, again and again (measured with a
`gc.callbacks` probe under bench/devices.py): every request in flight then waited, and those
pauses were the whole p99.

So a server process collects less often (`THRESHOLDS`: most of a request's objects are then
freed by reference counting before any collection sees them) and moves what has survived a
while out of the collector's way: every
`FREEZE_SECONDS` it calls `gc.freeze()`, which puts every object alive into a permanent
generation that collections skip (the young objects of each request are still collected as
usual, and objects freed by reference counting are freed as usual, frozen or not).  What a
freeze cannot do is collect *cyclic* garbage among frozen objects, so once every
`THAW_SECONDS` it unfreezes and runs one full collection: one pause an hour instead of several
a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator

log = logging.getLogger("doorstep.gc")

FREEZE_SECONDS = 60.0
THAW_SECONDS = 3600.0
#: collection thresholds while serving: the youngest generation is collected after 20,000 net
#: allocations instead of 700, so a request's objects are mostly freed by reference counting
#: before a collection promotes them, and the older generations are collected rarely
THRESHOLDS = (20_000, 50, 100)


async def _keep_pauses_short() -> None:
    thawed = time.monotonic()
    while True:
        await asyncio.sleep(FREEZE_SECONDS)
        if time.monotonic() - thawed >= THAW_SECONDS:
            gc.unfreeze()
            started = time.perf_counter()
            found = gc.collect()
            thawed = time.monotonic()
            log.info(
                "hourly full collection",
                extra={"unreachable": found, "ms": round((time.perf_counter() - started) * 1000)},
            )
        gc.freeze()


@contextlib.asynccontextmanager
async def short_gc_pauses() -> AsyncIterator[None]:
    """For the app's lifespan: freeze long-lived objects while the server runs."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    task = asyncio.get_running_loop().create_task(_keep_pauses_short())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        gc.unfreeze()
        gc.set_threshold(*before)
