"""The one error shape of the HTTP routes, and the exception that carries a refusal to it.

Routes other than /graphql answer `{"error": {"code", "message"}}` with a fitting status, plus
`"field"` (the input it concerns, `[]` for none) on the routes whose form reads it (`/files`).
/graphql writes the same refusals in the GraphQL-over-HTTP shape (`web/graphql.py`).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from leadflow.errors import AccessDenied, DomainError, ErrorCode

_STATUS_OF = {ErrorCode.NOT_FOUND: 404, ErrorCode.CONFLICT: 409}


class HttpError(Exception):
    """A request answered with an HTTP error status: raised anywhere below a route, rendered
    by the route's error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: list[str] | tuple[str, ...] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = tuple(field)
        self.headers = headers or {}


def as_http_error(error: DomainError | AccessDenied) -> HttpError:
    """A service's refusal as HTTP: 403 for a permission, 404/409/400 for a user's mistake."""
    if isinstance(error, AccessDenied):
        return HttpError(403, "FORBIDDEN", error.message)
    status = _STATUS_OF.get(error.code, 400)
    return HttpError(status, error.code.value, error.message, field=error.field or ())


def error_body(error: HttpError, *, with_field: bool = False) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": error.code, "message": error.message}
    if with_field:
        detail["field"] = list(error.field)
    return {"error": detail}


def error_response(error: HttpError, *, with_field: bool = False) -> JSONResponse:
    return JSONResponse(
        error_body(error, with_field=with_field), error.status, headers=error.headers
    )


def unauthenticated() -> HttpError:
    return HttpError(401, "UNAUTHENTICATED", "Log in or send a bearer token.")


def bad_request(message: str) -> HttpError:
    return HttpError(400, "BAD_REQUEST", message)
