"""Reading a Server-Sent Events stream in tests: one event (or comment) at a time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Message:
    event: str = "message"
    data: str | None = None
    id: str | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def json(self) -> dict[str, Any]:
        assert self.data is not None
        out: dict[str, Any] = json.loads(self.data)
        return out


class SseReader:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, within: float) -> Message:
        """The next message (an event or a block of comments); TimeoutError when none comes."""
        return await asyncio.wait_for(self._read(), within)

    async def _read(self) -> Message:
        message = Message()
        seen = False
        async for line in self._lines:
            if line == "":
                if seen:
                    return message
                continue
            seen = True
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "":
                message.comments.append(value)
            elif name == "data":
                message.data = value if message.data is None else message.data + "\n" + value
            elif name == "event":
                message.event = value
            elif name == "id":
                message.id = value
        raise EOFError("the stream ended")

    async def until(self, predicate: Any, within: float) -> Message:
        """Read until a data message matches `predicate`; every message read is kept in `seen`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            message = await self.next(max(0.01, deadline - loop.time()))
            self.seen.append(message)
            if message.data is not None and predicate(message):
                return message

    seen: list[Message]


@asynccontextmanager
async def open_stream(
    base_url: str, params: dict[str, str], headers: dict[str, str] | None = None
) -> AsyncIterator[SseReader]:
    """Open the command event stream and wait for its `: ready` comment (subscribed)."""
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30, read=None)) as client,
        client.stream("GET", "/api/command/events", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseReader(response)
        reader.seen = []
        first = await reader.next(10)
        assert "ready" in first.comments, first
        yield reader
