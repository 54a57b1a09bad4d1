"""The error envelope of SYNC_PROTOCOL.md: `{"error": {"code", "message", "details"}}`.

Every 4xx/5xx the server sends goes through `error_response`, including Litestar's own
validation errors, so clients have exactly one shape to handle.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A client-facing error: raise it anywhere in a request and the handler renders it."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def envelope(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}
