"""Every error leaves as the protocol's envelope; nothing else ever reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from server.http.errors import ApiError, envelope
from server.http.jsondepth import MAX_JSON_DEPTH, json_depth, looks_like_json
from sync.validate import has_nul

log = logging.getLogger("doorstep.errors")

STATUS_CODES = {
    400: ("invalid_request", "the request is malformed"),
    401: ("unauthorized", "log in first: this needs an access token"),
    403: ("forbidden", "you may not do this"),
    404: ("not_found", "no such resource"),
    405: ("method_not_allowed", "this method is not allowed here"),
    413: ("payload_too_large", "the request body is too large"),
    415: ("unsupported_media_type", "unsupported content type"),
    429: ("too_many_requests", "too many requests; slow down"),
}


def _response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def api_error_handler(_: Request[Any, Any, Any], exc: ApiError) -> Response[dict[str, Any]]:
    return _response(exc.status_code, envelope(exc.code, exc.message, exc.details), exc.headers)


def http_exception_handler(
    request: Request[Any, Any, Any], exc: HTTPException
) -> Response[dict[str, Any]]:
    status = exc.status_code
    code, message = STATUS_CODES.get(status, ("error", "the request failed"))
    details: dict[str, Any] = {}
    if isinstance(exc, ValidationException):
        code = "invalid_request"
        message = "the request body or parameters are not valid"
        if isinstance(exc.extra, list):
            details["errors"] = [
                {k: v for k, v in e.items() if k in ("message", "key", "source")}
                for e in exc.extra
                if isinstance(e, dict)
            ]
        if exc.detail and exc.detail != "Validation failed":
            details["reason"] = exc.detail
    elif status == 413 and request.url.path.rstrip("/") == "/api/sync/push":
        code, message = "too_many_mutations", "a push holds at most 500 mutations and 1 MiB"
    if status >= 500:
        log.error("http error %s on %s", status, request.url.path)
    return _response(status, envelope(code, message, details), dict(exc.headers or {}))


def internal_error_handler(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    log.exception(
        "unhandled error",
        extra={
            "fields": {
                "path": request.url.path,
                "request_id": request.scope.get("state", {}).get("request_id"),
            }
        },
    )
    return _response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        envelope("internal_error", "服务器内部错误，请稍后重试 (internal server error)"),
    )


class JsonBodyRequest(Request[Any, Any, Any]):
    """A request whose undecodable JSON body is the client's fault (400), not a 500: msgspec
    raises UnicodeDecodeError for invalid UTF-8 inside a string and RecursionError for absurd
    nesting, which Litestar does not turn into a client error; NUL characters are refused.

    Every way to a body goes through `body()` (Litestar's typed bodies, `json()` and the
    handlers that decode raw bytes themselves), so the nesting limit is enforced there."""

    _depth_checked = False

    async def body(self) -> bytes:
        raw = await super().body()
        if not self._depth_checked:
            self._depth_checked = True
            content_type = self.headers.get("content-type", "")
            if looks_like_json(raw, content_type) and json_depth(raw) > MAX_JSON_DEPTH:
                raise ApiError(
                    400,
                    "invalid_request",
                    f"JSON 嵌套层数超过 {MAX_JSON_DEPTH} 层 "
                    f"(the body nests deeper than {MAX_JSON_DEPTH} levels)",
                    {"max_depth": MAX_JSON_DEPTH},
                )
        return raw

    async def json(self) -> Any:
        try:
            value = await super().json()
        except (UnicodeDecodeError, RecursionError) as exc:
            raise SerializationException(f"the body is not valid JSON: {exc}") from exc
        if has_nul(value):
            # no field needs one, and PostgreSQL refuses NUL in text: a 400, not a 500
            raise SerializationException("strings in the body must not contain NUL characters")
        return value


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: api_error_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
