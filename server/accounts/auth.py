"""Bearer-token authentication for every `/api` route except login and refresh."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.http.errors import ApiError

PUBLIC_PATHS = [
    "^/api/auth/login$",
    "^/api/auth/refresh$",
    "^/api/push/vapid-public-key$",
    "^/health/",
    "^/schema",
    # authenticates itself: an EventSource sends a ticket, not a header (server/live/stream.py)
    "^/api/command/events$",
]


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:  # type: ignore[type-arg]
        path = connection.scope.get("path", "")
        if not path.startswith("/api/"):
            # the app shell, icons and the service worker are public files
            return AuthenticationResult(user=None, auth=None)
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "log in first: send Authorization: Bearer <token>")
        service = connection.app.state.accounts
        principal = await service.authenticate(token.strip())
        return AuthenticationResult(user=principal, auth=token)
