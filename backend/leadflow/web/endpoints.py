"""The wrapper every route but /graphql runs in: a refusal raised below it (the web layer's
`HttpError`, a service's `DomainError` or `AccessDenied`) becomes the one error shape, and on
routes that ask for it, a refusal of someone authenticated (403) goes to the audit log, as
GraphQL records its refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from leadflow.errors import AccessDenied, DomainError
from leadflow.services.audit import AuditAction, record
from leadflow.web.access import authenticated
from leadflow.web.client import client_address
from leadflow.web.errors import HttpError, as_http_error, error_response

Handler = Callable[[Request], Awaitable[Response]]


def endpoint(handler: Handler, *, with_field: bool = False, audited: bool = False) -> Handler:
    """`handler` with its refusals answered in the error shape (`with_field`: with the input
    they concern) and, when `audited`, its 403s in the audit log."""

    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except HttpError as error:
            refusal = error
        except (DomainError, AccessDenied) as error:
            refusal = as_http_error(error)
        if audited and refusal.status == 403:
            await _audit_refusal(request, refusal)
        return error_response(refusal, with_field=with_field)

    return answer


async def _audit_refusal(request: Request, refusal: HttpError) -> None:
    """Who, from where, and what: the method and the route's path pattern, never the path or
    query as sent (the client's words), and our own message. 401s are not recorded (nor are
    they over GraphQL): nobody is known, and anyone could fill the log with them."""
    auth = await authenticated(request)  # looked up already: a 403 follows authentication
    # Starlette's router puts the matched route into the scope.
    route = getattr(request.scope.get("route"), "path", "")
    await record(
        AuditAction.ACCESS_DENIED,
        actor=auth.user if auth is not None else None,
        detail=f"{request.method} {route}: {refusal.code}: {refusal.message}",
        address=client_address(request),
    )
