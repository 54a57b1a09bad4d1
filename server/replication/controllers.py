"""HTTP for sync (schema, push, pull) and attachments.  Thin: the work is in services.py."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter
from litestar.response import ServerSentEvent
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from server import specs
from server.accounts.principal import Principal
from server.http.errors import ApiError
from server.http.openapi import BEARER, errors
from server.replication import attachments, audit, heads, pokes
from server.replication.cursor import cursor_key
from server.replication.schemas import MAX_MUTATIONS, PullOut, PushIn, PushOut
from server.replication.services import pull_page, push_batch
from sync.schema import MIN_SCHEMA_VERSION, SCHEMA_VERSION, schema_document

AuthRequest = Request[Principal, str, State]

# One push at a time per device in this process: a second tab's push waits its turn.
_pushing: set[str] = set()
_pushing_lock = asyncio.Lock()


async def read_push(request: AuthRequest) -> PushIn:
    """The push body as a `PushIn`, or the protocol's whole-request error: 400 for a body that
    is not a push, 413 for too many mutations, 426 for an app too old to sync.

    Decoded here rather than by Litestar's body parsing so these errors keep their exact codes
    and messages (SYNC_PROTOCOL.md), and with msgspec straight from the bytes (the hot path)."""
    body = await request.body()
    try:
        data = msgspec.json.decode(body, type=PushIn)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "invalid_request", f"the push body is not valid: {exc}") from exc
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        # msgspec lets invalid UTF-8 inside a string and absurd nesting escape as these
        raise ApiError(400, "invalid_request", "the push body is not JSON") from exc
    if len(data.mutations) > MAX_MUTATIONS:
        raise ApiError(
            413,
            "too_many_mutations",
            f"a push holds at most {MAX_MUTATIONS} mutations",
            {"max_mutations": MAX_MUTATIONS, "received": len(data.mutations)},
        )
    if data.schema_version < MIN_SCHEMA_VERSION:
        raise ApiError(
            426,
            "upgrade_required",
            "请更新应用后再同步 (this app version is too old; update it to sync)",
            {"schema_version": SCHEMA_VERSION, "min_schema_version": MIN_SCHEMA_VERSION},
        )
    if data.schema_version > SCHEMA_VERSION:
        raise ApiError(
            400,
            "invalid_request",
            f"schema_version {data.schema_version} is newer than this server's",
            {"schema_version": SCHEMA_VERSION},
        )
    return data


PUSH_DESCRIPTION = """\
Apply a device's mutations in seq order (SYNC_PROTOCOL.md "Push"); one result per answered
mutation.

Body (JSON, at most 1 MiB, nesting at most 64 levels):
`{"schema_version": <int>, "mutations": [<at most 500>]}`, each mutation
`{"id": <uuid>, "seq": <int, per device, consecutive>, "collection": <name from
GET /api/sync/schema>, "record_id": <uuid>, "op": "upsert" | "delete", "base_version": <int>,
"hlc": "<ms>-<counter>-<device id>", "fields": {<field>: <value>}}`.

A mutation the server refuses is answered `rejected` with an error code and the rest of the
batch goes on; whole-request errors (the envelope) are for a body that is not a push (400), too
many mutations (413), an app too old (426) or a push already running for this device (429).
"""


class SyncController(Controller):
    path = "/api/sync"
    tags = ["sync"]
    security = BEARER

    @get("/schema", sync_to_thread=False, responses=errors(401))
    def schema(self) -> dict[str, Any]:
        """The synced collections, their fields, policies and state machines."""
        specs.ensure_loaded()
        return schema_document()

    @post(
        "/push",
        status_code=HTTP_200_OK,
        dependencies={"batch": Provide(read_push)},
        description=PUSH_DESCRIPTION,
        responses=errors(400, 401, 413, 426, 429, 503),
    )
    async def push(self, request: AuthRequest, batch: NamedDependency[PushIn]) -> PushOut:
        """Apply a device's mutations in seq order; answers one result per answered mutation."""
        device = str(request.user.device_id)
        async with _pushing_lock:
            if device in _pushing:
                raise ApiError(
                    429,
                    "push_in_progress",
                    "this device is already pushing; retry shortly",
                    headers={"Retry-After": "1"},
                )
            _pushing.add(device)
        try:
            return await push_batch(request.user, batch.to_mutations())
        finally:
            _pushing.discard(device)

    @get("/events", media_type="text/event-stream", responses=errors(401, 503))
    async def events(self, request: AuthRequest) -> ServerSentEvent:
        """Server-Sent Events while the app is open: `event: poke` (no data) when a commit
        touches a scope this user reads, coalesced; pull then (docs/sync.md "Pokes")."""
        return ServerSentEvent(pokes.poke_stream(request.user, request.app.state.get("load")))

    @get("/pull", responses=errors(400, 401))
    async def pull(
        self,
        request: AuthRequest,
        cursor: Annotated[str | None, Parameter(max_length=400)] = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 500,
    ) -> PullOut:
        """Changes after the cursor that this user may see, each record once at its latest."""
        key = cursor_key(request.app.state["accounts"].secret_key)
        # nothing moved in this reader's scopes since its cursor: no feed query (heads.py)
        quiet = await heads.answer_empty(request.user, cursor, key)
        if quiet is not None:
            return quiet  # type: ignore[no-any-return]
        return await pull_page(request.user, cursor, limit, key)


class AttachmentController(Controller):
    path = "/api/attachments"
    tags = ["attachments"]
    security = BEARER

    @put(
        "/{sha256:str}",
        responses={
            HTTP_200_OK: ResponseSpec(
                data_container=dict[str, Any], description="already stored: nothing written"
            ),
            **errors(400, 401, 403, 413, 415, 422),
        },
        request_max_body_size=attachments.MAX_BYTES,
        status_code=HTTP_201_CREATED,
    )
    async def upload(self, request: AuthRequest, sha256: FromPath[str]) -> Response[dict[str, Any]]:
        """Store a photo once, addressed by its SHA-256."""
        body = await request.body()
        created, meta = await attachments.store(request.user, sha256, body)
        return Response(meta, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/{sha256:str}", responses=errors(400, 401, 404))
    async def download(self, request: AuthRequest, sha256: FromPath[str]) -> Response[bytes]:
        content_type, data = await attachments.fetch(request.user, sha256)
        return Response(
            data,
            media_type=content_type,
            headers={"Cache-Control": "private, max-age=31536000, immutable"},
        )


class AuditController(Controller):
    path = "/api/admin/audit"
    tags = ["administration"]
    security = BEARER

    @get("/{collection:str}/{record_id:uuid}", responses=errors(400, 401, 403, 404))
    async def history(
        self,
        request: AuthRequest,
        collection: FromPath[str],
        record_id: FromPath[UUID],
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        """Every field change of one record, oldest first (admins, within their scope)."""
        return await audit.record_history(request.user, collection, record_id, limit)
