"""How failures reach clients: user errors in payloads, everything else as top-level errors.

Authentication and permission failures carry `extensions.code`; unexpected exceptions are
masked to "Unexpected error" with a request id, and their details go to the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Sequence

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, Node
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult

from leadflow.db.availability import database_unavailable
from leadflow.errors import AccessDenied, DomainError, DomainErrors, ErrorCode
from leadflow.services.audit import AuditAction, record

log = logging.getLogger("leadflow.api")

# The database cannot be reached (restarting, unreachable): the request may be sent again,
# and /graphql answers it 503 with Retry-After (web/unavailable.py).
UNAVAILABLE = "UNAVAILABLE"
UNAVAILABLE_MESSAGE = (
    "The database cannot be reached at the moment; send the request again in a second. "
    "A mutation may have completed nonetheless: send it again with the same Idempotency-Key, "
    "or check before sending it again."
)

# The domain's codes, registered as the GraphQL enum UserErrorCode (strawberry.enum returns
# the class it is given).
UserErrorCode = ErrorCode
strawberry.enum(UserErrorCode, name="UserErrorCode", description="Why an input was refused.")


@strawberry.type(description="A problem with the input of a mutation. Nothing was changed.")
class UserError:
    code: UserErrorCode = strawberry.field(description="Stable machine-readable reason.")
    message: str = strawberry.field(description="Explanation for people, in English.")
    field: list[str] | None = strawberry.field(
        description='Path to the offending input field, e.g. ["leads", "3", "email"].'
    )


def user_errors(error: DomainError) -> list[UserError]:
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    return [
        UserError(
            code=item.code, message=item.message, field=list(item.field) if item.field else None
        )
        for item in errors
    ]


class ApiError(GraphQLError):
    """A top-level error with a stable `extensions.code`."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def unauthenticated() -> ApiError:
    return ApiError(
        "Authentication required: send 'Authorization: Bearer <token>'.", "UNAUTHENTICATED"
    )


def forbidden(message: str) -> ApiError:
    return ApiError(message, "FORBIDDEN")


def bad_input(error: DomainError) -> ApiError:
    code = "NOT_FOUND" if error.code is ErrorCode.NOT_FOUND else "BAD_USER_INPUT"
    return ApiError(error.message, code)


def unexpected_error(
    original: BaseException,
    *,
    nodes: Sequence[Node] | None = None,
    path: Sequence[str | int] | None = None,
) -> GraphQLError:
    """Masks a failure nobody expected: the client gets a request id, the log the details."""
    request_id = uuid.uuid4().hex[:12]
    log.error("Unexpected error (request %s)", request_id, exc_info=original)
    return GraphQLError(
        f"Unexpected error (request id {request_id}).",
        nodes=nodes,
        path=path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


def _client_named(operation_name: str | None) -> str:
    """The operation's name is the client's words, not ours: marked as such and cut short, so
    that nobody reads an attacker's text in the audit log as the server's."""
    if not operation_name:
        return ""
    return f" (operation named by the client: {operation_name[:64]!r})"


class ErrorTranslation(SchemaExtension):
    """Turns exceptions raised by resolvers into client-safe errors, once per operation."""

    streamed = False

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        if not self.streamed:
            await self._translate_result(self.execution_context.result)

    async def on_stream_result(self, result: object) -> AsyncIterator[None]:
        # Subscriptions send each result as it comes (over WebSocket or SSE): each is
        # translated before it leaves; on_operation would see only the last one.
        self.streamed = True
        await self._translate_result(result)
        yield

    async def _translate_result(self, result: object) -> None:
        if not isinstance(result, (ExecutionResult, GraphQLExecutionResult)) or not result.errors:
            return
        result.errors = [self._translate(error) for error in result.errors]
        refusals = [
            e.message for e in result.errors if (e.extensions or {}).get("code") == "FORBIDDEN"
        ]
        if refusals:
            await self._audit_refusals(refusals)

    async def _audit_refusals(self, messages: list[str]) -> None:
        """Every permission refusal goes to the audit log, with who and from where."""
        context = self.execution_context.context
        auth = getattr(context, "auth", None)
        await record(
            AuditAction.ACCESS_DENIED,
            actor=auth.user if auth is not None else None,
            detail=" | ".join(messages) + _client_named(self.execution_context.operation_name),
            address=getattr(context, "address", ""),
        )

    def _translate(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error
        if isinstance(original, AccessDenied):
            return self._copy(error, original.message, "FORBIDDEN")
        if isinstance(original, DomainError):
            code = "NOT_FOUND" if original.code is ErrorCode.NOT_FOUND else "BAD_USER_INPUT"
            return self._copy(error, original.message, code)
        if isinstance(original, InvalidOperationTypeError | CannotGetOperationTypeError):
            # Streams (WebSocket, SSE) report these as results; over HTTP they are refusals.
            return self._copy(error, error.message, "BAD_REQUEST")
        if database_unavailable(original):
            log.warning(
                "Database unavailable (field %s): %s: %s",
                ".".join(str(part) for part in error.path or ()),
                type(original).__name__,
                original,
            )
            return self._copy(error, UNAVAILABLE_MESSAGE, UNAVAILABLE)
        return unexpected_error(original, nodes=error.nodes, path=error.path)

    @staticmethod
    def _copy(error: GraphQLError, message: str, code: str) -> GraphQLError:
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions={"code": code})
