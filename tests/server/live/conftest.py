"""An in-process app server with its live channels running (embedded mode: memory backend).

The session's `client` fixture talks to the app without a lifespan, so its channels plugin never
starts; these tests start a second app's plugin by hand and serve that app with uvicorn on a
loopback port in the test's event loop (streams need a real socket: an ASGI test transport
waits for the whole response)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from litestar import Litestar

from server.live.bus import LiveChannelsPlugin
from tests.server.replication.live_server import free_port


class InProcessServer:
    def __init__(self, app: Litestar, url: str) -> None:
        self.app = app
        self.url = url


@pytest.fixture
async def live_app(database: None) -> AsyncIterator[InProcessServer]:
    from server.app import create_app

    app = create_app()
    plugin = app.plugins.get(LiveChannelsPlugin)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    # pytest keeps its own signal handlers
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    async with plugin:
        task: asyncio.Task[Any] = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        try:
            yield InProcessServer(app, f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            await task
