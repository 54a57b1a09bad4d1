"""Group commit: requests that arrive while a write is in progress are written together, in one
transaction, as soon as that write ends.

Under load most of an appeal's cost is per transaction, not per appeal: the round trips of
the engine's flush, the change feed's counter lock (held until commit, so writers queue on it)
and the commit's WAL flush.  Writing the appeals that queued up meanwhile in one transaction
pays these once per batch.  An idle server writes each appeal on its own at once: nothing
waits for a batch to fill, so a batch is never slower than the write before it.

Each caller awaits its own outcome, which is settled only after the batch's transaction has
committed (an answered appeal is durable).  When a batch fails, its items are written again
one by one, each in its own transaction, so one bad appeal fails only its own request; an
item that fails alone too gets its own exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")

#: write(items) → one outcome per item, or an exception meant for that item's caller alone
WriteBatch = Callable[[Sequence[Item]], Awaitable[list[Outcome | Exception]]]

log = logging.getLogger("doorstep.public")


class GroupCommit(Generic[Item, Outcome]):
    """Writes queued items in batches of at most `max_batch`, one batch at a time per process."""

    def __init__(self, write: WriteBatch[Item, Outcome], max_batch: int = 50) -> None:
        self._write = write
        self.max_batch = max_batch
        self._queue: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self._writer: asyncio.Task[None] | None = None
        #: sizes of the batches written (a few hundred kept, for tests and the benchmark)
        self.batch_sizes: list[int] = []

    async def submit(self, item: Item) -> Outcome:
        """Queue `item`; returns its outcome once its batch has committed."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Outcome] = loop.create_future()
        self._queue.append((item, done))
        if self._writer is None or self._writer.done() or self._writer.get_loop() is not loop:
            self._writer = loop.create_task(self._drain())
        # A caller that goes away (the client hung up) does not cancel the write of the others:
        # shielded, its item is still written with its batch.
        return await asyncio.shield(done)

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
            self.batch_sizes = [*self.batch_sizes[-500:], len(batch)]
            items = [item for item, _ in batch]
            try:
                try:
                    outcomes = await self._write(items)
                except Exception as exc:  # noqa: BLE001 - handed to the callers
                    if len(batch) == 1:
                        outcomes = [exc]
                    else:
                        # the type only: a database error's text may quote a value
                        log.warning(
                            "a batch of %d failed (%s); writing each alone",
                            len(batch),
                            type(exc).__name__,
                        )
                        outcomes = [await self._alone(item) for item in items]
            except BaseException:
                # cancelled (the server is stopping): nobody in this batch or still queued is
                # told their item was written
                waiting, self._queue = [*batch, *self._queue], []
                for _, done in waiting:
                    if not done.done():
                        done.set_exception(RuntimeError("the write was interrupted"))
                raise
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if isinstance(outcome, Exception):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome)

    async def _alone(self, item: Item) -> Outcome | Exception:
        try:
            return (await self._write([item]))[0]
        except Exception as exc:  # noqa: BLE001 - handed to its caller
            return exc
