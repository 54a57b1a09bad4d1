"""Who is calling: the authenticated user and the device they call from."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Principal:
    """Set as `request.user` by the authentication middleware for every `/api` call but login."""

    user_id: UUID
    device_id: UUID
    username: str
    role: str
    org_unit_id: UUID | None
    display_name: str = ""
    #: bumped when the user's role or org unit changes (pull cursors carry it)
    scope_epoch: int = 0
