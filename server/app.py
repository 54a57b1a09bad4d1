"""create_app(): the Litestar application with its plugins, routes and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from server import specs
from server.access.controllers import AccessLogController, RecordController
from server.accounts.auth import PUBLIC_PATHS, BearerAuthMiddleware
from server.accounts.controllers import AdminController, AuthController
from server.accounts.services import AccountService
from server.agreements.controllers import AgreementController
from server.command.controllers import CommandController
from server.db import close_pool, start_pool
from server.geo.config import tile_origin
from server.geo.controllers import MapController
from server.health.controllers import live, ready
from server.http.gc_pauses import short_gc_pauses
from server.http.handlers import EXCEPTION_HANDLERS, JsonBodyRequest
from server.http.middleware import RequestContextMiddleware, configure_logging
from server.http.openapi import components as openapi_components
from server.http.overload import Load, LoadShedder
from server.incentives.controllers import IncentivesController
from server.live.bus import make_plugin as live_channels
from server.live.stream import LiveController
from server.notify.controllers import NotifyController, PushController, ReachabilityController
from server.public.controllers import PublicAppealController, TriageController
from server.public.duty_controllers import DutyController, PublicDutyController
from server.public.info_controllers import PublicInfoController
from server.replication.controllers import (
    AttachmentController,
    AuditController,
    SyncController,
)
from server.settings import Settings, embedded_secret, get_settings
from server.timeline.controllers import TimelineController
from server.volunteers.controllers import VolunteerJoinController, VolunteersController
from server.web.controllers import asset, index, root_file


def _route_handlers() -> list[Any]:
    """Every domain's controllers; the PWA's files last (they match any single path segment)."""
    return [
        live,
        ready,
        AuthController,
        AdminController,
        AuditController,
        SyncController,
        AttachmentController,
        PushController,
        AgreementController,
        RecordController,
        AccessLogController,
        NotifyController,
        ReachabilityController,
        CommandController,
        LiveController,
        MapController,
        TimelineController,
        VolunteersController,
        VolunteerJoinController,
        IncentivesController,
        PublicAppealController,
        TriageController,
        PublicInfoController,
        PublicDutyController,
        DutyController,
        index,
        asset,
        root_file,
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    specs.ensure_loaded()  # every domain's collections, before the first request
    configure_logging()
    secret = settings.secret_key or embedded_secret(settings, "secret_key")

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await start_pool()
        try:
            async with short_gc_pauses():
                yield
        finally:
            await close_pool()

    load = Load(max_in_flight=settings.max_in_flight)
    app = Litestar(
        route_handlers=_route_handlers(),
        state=State(
            {"accounts": AccountService(settings, secret), "settings": settings, "load": load}
        ),
        lifespan=[lifespan],
        plugins=[live_channels(settings)],
        middleware=[DefineMiddleware(BearerAuthMiddleware, exclude=PUBLIC_PATHS)],
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=JsonBodyRequest,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Doorstep 家门口",
            version="1.0.0",
            path="/schema",
            components=openapi_components(),
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        debug=False,
    )
    # Outermost, around Litestar's own error handling: every response gets the request id and
    # security headers and is logged with its real status, 401s and unknown routes included.
    # Inside it, the load shedder: a refused request is logged and carries the headers, but
    # costs no authentication and no database (server/http/overload.py).
    tiles = tile_origin(settings.map_tile_url)
    app.asgi_handler = RequestContextMiddleware(
        LoadShedder(app.asgi_handler, load),
        hsts=(settings.public_url or "").startswith("https://"),
        image_sources=(tiles,) if tiles else (),
    )
    return app


def create_embedded_app() -> Litestar:
    """`doorstep run`: the same app, plus the local deliverer and deadline checker in-process,
    so notifications flow without Redis (the database is the durable queue)."""
    from server.embedded import configure_embedded_jobs

    jobs = configure_embedded_jobs()
    app = create_app()
    app.on_startup.append(jobs.start)
    app.on_shutdown.insert(0, jobs.stop)
    return app
