"""Embedded-mode delivery (no Redis): an asyncio task of `doorstep run` that treats the outbox
table as its queue and runs the same delivery function a Celery worker runs.

It runs in the app's event loop (so it shares the app's database engine and pool); the push
requests themselves go to the sending threads. It wakes when `kick()` is called after a commit
and otherwise polls every `local_poll_seconds`, so retries come due and rows written by another
process (a CLI command) are picked up. Rows survive a restart because they never left the
database.

    embedded_jobs.starters.append(start_local_deliverer)
    embedded_jobs.stoppers.append(stop_local_deliverer)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from server.notify.delivery import deliver_batch_async, due_ids
from server.notify.policy import policy
from server.notify.sms import deliver_sms_async, due_sms
from server.notify.webpush import Sender

log = logging.getLogger(__name__)


class LocalDeliverer:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sender: Sender | None = None
        #: batches delivered so far (tests, the health view)
        self.batches = 0

    def start(self) -> None:
        self._sender = Sender()
        self._task = self.loop.create_task(self._run(), name="doorstep-push")

    def wake(self) -> None:
        """Thread-safe: `kick()` may run in a worker thread."""
        self.loop.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sender is not None:
            await self._sender.close()
            self._sender = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                more = False
                ids = await due_ids(grace_seconds=0, limit=policy().batch_size)
                if ids:
                    report = await deliver_batch_async(ids, self._sender)
                    self.batches += 1
                    more = len(report.skipped) < len(ids)
                # SMS: the same table-as-queue, through the SMS channel
                sms = await due_sms(limit=policy().batch_size)
                if sms:
                    sms_report = await deliver_sms_async(sms)
                    more = more or len(sms_report.skipped) < len(sms)
                if more:
                    continue  # more may be due: drain before sleeping
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("embedded push delivery failed; retrying shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), policy().local_poll_seconds)


_deliverer: LocalDeliverer | None = None


async def start_local_deliverer() -> None:
    """Start the embedded deliverer in the running event loop (once per process)."""
    global _deliverer
    if _deliverer is None or not _deliverer.running:
        _deliverer = LocalDeliverer(asyncio.get_running_loop())
        _deliverer.start()


async def stop_local_deliverer() -> None:
    global _deliverer
    deliverer, _deliverer = _deliverer, None
    if deliverer is not None:
        await deliverer.stop()


def local_deliverer() -> LocalDeliverer | None:
    return _deliverer


def wake_local_deliverer() -> None:
    """Called by `kick()`; a no-op when no deliverer runs in this process (it polls anyway)."""
    deliverer = _deliverer
    if deliverer is not None and not deliverer.loop.is_closed():
        deliverer.wake()
