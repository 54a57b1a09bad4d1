"""`/health/live` says the process answers; `/health/ready` that the database and the queue do."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from server.replication.tables import FeedCounter
from server.settings import get_settings


class Readiness(msgspec.Struct):
    #: "ok" or "unavailable"
    status: str
    #: per dependency: "ok", "ok (embedded)" or "error: <kind>"
    checks: dict[str, str]


@get("/health/live", tags=["health"], sync_to_thread=False)
def live(state: State) -> dict[str, Any]:
    """The process answers; `load`: this worker's requests in progress, its bound, the most at
    once and how many it refused with 503 since start (server/http/overload.py)."""
    return {"status": "ok", "load": state["load"].as_dict()}


@get(
    "/health/ready",
    tags=["health"],
    responses={
        503: ResponseSpec(
            Readiness,
            description="not ready: a check failed (the body says which)",
            generate_examples=False,
        )
    },
)
async def ready(state: State) -> Response[dict[str, Any]]:
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(FeedCounter.select(FeedCounter.value).first(), timeout=3)
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    redis_url = get_settings().redis_url
    if redis_url:
        checks["queue"] = await asyncio.to_thread(_ping_redis, redis_url)
    else:
        checks["queue"] = "ok (embedded)"
    ok = all(v.startswith("ok") for v in checks.values())
    return Response(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


def _ping_redis(url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}"
