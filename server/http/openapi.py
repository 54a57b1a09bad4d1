"""What the OpenAPI document says about errors and authentication, in one place.

Every 4xx/5xx is the protocol's envelope (`server.http.errors`), not Litestar's default
`{"status_code", "detail", "extra"}` shape, and every `/api` route but login, refresh and the
VAPID key needs a bearer token.  Handlers list the statuses they really answer with
`responses=errors(...)`; clients and the schemathesis run in the test suite read them.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme


class ErrorInfo(msgspec.Struct):
    #: a stable machine-readable code, e.g. `invalid_request`, `too_many_attempts`
    code: str
    #: for people (zh-CN first, English in parentheses where it matters)
    message: str
    #: structured context, e.g. `{"retry_after": 30}` or `{"field": "org_unit_id"}`
    details: dict[str, Any]


class ErrorEnvelope(msgspec.Struct):
    error: ErrorInfo


_DESCRIPTIONS = {
    400: "invalid_request: the body or parameters are malformed, break a limit, or nest too deep",
    401: "unauthorized / invalid_token / token_expired / device_revoked / user_inactive / "
    "invalid_credentials",
    403: "forbidden: the caller's role or scope does not allow this",
    404: "not_found (also for what is outside the caller's scope)",
    409: "conflict, e.g. username_taken",
    413: "payload_too_large: the body is over the size limit (a push: too_many_mutations)",
    415: "unsupported_media_type: not a JPEG, PNG or WebP image",
    422: "a well-formed request the server cannot accept (validation, invalid_endpoint, ...)",
    426: "upgrade_required: the app's schema_version is too old to sync",
    429: "too_many_attempts / too_many_requests / push_in_progress, with a Retry-After header",
    503: "not ready / unavailable: the database or the queue does not answer; retry later",
}

BEARER_SCHEME = "bearer"
#: `security=` for handlers that need an access token
BEARER: list[SecurityRequirement] = [{BEARER_SCHEME: []}]
#: `security=` for public handlers (overrides a controller's BEARER)
PUBLIC: list[SecurityRequirement] = []


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """The documented error answers of a handler, each with the envelope schema."""
    return {
        status: ResponseSpec(
            data_container=ErrorEnvelope, description=_DESCRIPTIONS[status], generate_examples=False
        )
        for status in statuses
    }


def components() -> Components:
    return Components(
        security_schemes={
            BEARER_SCHEME: SecurityScheme(
                type="http",
                scheme="bearer",
                bearer_format="JWT",
                description="The access token from POST /api/auth/login or /api/auth/refresh "
                "(15 minutes); send `Authorization: Bearer <token>`.",
            )
        }
    )
