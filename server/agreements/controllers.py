"""HTTP for agreements: the printable document.  The agreement itself syncs like any record."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from server.accounts.principal import Principal
from server.agreements.services import agreement_document
from server.http.openapi import BEARER, errors

AuthRequest = Request[Principal, str, State]


class AgreementController(Controller):
    path = "/api/agreements"
    tags = ["agreements"]
    security = BEARER

    @get("/{agreement_id:uuid}/document.pdf", responses=errors(400, 401, 403, 404, 503))
    async def document(self, request: AuthRequest, agreement_id: FromPath[UUID]) -> Response[bytes]:
        """The agreement as an A4 PDF with an embedded CJK font and, in the footer, the
        SHA-256 of its canonical content (docs/agreements.md)."""
        data = await agreement_document(request.user, agreement_id)
        return Response(
            data,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="agreement-{agreement_id}.pdf"',
                "Cache-Control": "private, no-store",
            },
        )
