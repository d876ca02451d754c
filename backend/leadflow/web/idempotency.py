"""The `Idempotency-Key` header of POST /graphql: which requests it applies to, and what is
stored and replayed (the storage and the transaction: services/idempotency.py).

- A mutation (the operation the request runs) with the header and a login runs at most once per
  user and key: a retry with the same key and the same request (document, operationName,
  variables) gets the first response again, with `Idempotent-Replayed: true`; with another
  request, 422 IDEMPOTENCY_KEY_REUSED. A document's mutations commit together or not at all.
- Stored: every response of a mutation that ran, userErrors and refusals (FORBIDDEN,
  NOT_FOUND, ...) included: sending it again would answer the same. Not stored: a request that
  never ran (syntax, validation, limits: nothing changed) and a failure nobody expected (a
  database error): then the whole request is rolled back, the mutation's writes too, and the
  answer says so; the client sends it again with the same key.
- A query with the header runs as usual (nothing to repeat); an event stream with it is
  refused (it carries no mutation). A malformed key is refused (400) whatever the operation.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.requests import Request
from strawberry.types import ExecutionResult

from leadflow.db.models import IDEMPOTENCY_KEY_MAX
from leadflow.services.idempotency import valid_key
from leadflow.web.errors import HttpError, bad_request

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Top-level error codes that a second run would answer the same: the response is stored.
# Any other (INTERNAL_SERVER_ERROR, a database that went away) rolls the request back.
REPEATABLE_CODES = frozenset(
    {"FORBIDDEN", "UNAUTHENTICATED", "BAD_USER_INPUT", "NOT_FOUND", "BAD_REQUEST"}
)
# A database that failed (web/graphql.py's 503 handling) rather than a bug.
UNAVAILABLE_CODE = "UNAVAILABLE"


def header_key(request: Request) -> str | None:
    """The request's key; None without the header. A malformed key is refused: a client that
    means to retry safely must learn at once that its key does not work."""
    values = request.headers.getlist(HEADER.lower())
    if not values:
        return None
    if len(values) > 1:
        raise bad_request(f"Send one {HEADER} header, not {len(values)}.")
    key = values[0].strip()
    if not valid_key(key):
        raise bad_request(
            f"The {HEADER} header must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters, "
            "e.g. a random UUID."
        )
    return key


def runs_mutation(query: str, operation_name: str | None, max_chars: int, max_tokens: int) -> bool:
    """Whether the request's operation is a mutation. A document that does not parse, or names
    no such operation, is none: it fails before anything runs, and the GraphQL layer says why."""
    if len(query) > max_chars:
        return False
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return False
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation is OperationType.MUTATION


def repeatable(result: ExecutionResult) -> bool:
    """Whether a run's result is what a second run would answer too (see the module)."""
    return all(_code(error) in REPEATABLE_CODES for error in result.errors or [])


def rolled_back(result: ExecutionResult) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, body and headers for a keyed request rolled back after a failure: no `data`
    (nothing of it was kept), the failure's message and code (its request id too), and what
    to do; 503 with Retry-After when the database failed, else 500."""
    failure = next(e for e in result.errors or [] if _code(e) not in REPEATABLE_CODES)
    extensions = dict(failure.extensions or {})
    extensions.setdefault("code", "INTERNAL_SERVER_ERROR")
    message = (
        f"{failure.message} Nothing was changed: the request was rolled back as a whole. "
        f"Send it again with the same {HEADER}."
    )
    body = {"errors": [{"message": message, "extensions": extensions}]}
    if extensions["code"] == UNAVAILABLE_CODE:
        return 503, body, {"Retry-After": "1"}
    return 500, body, {}


def key_reused() -> HttpError:
    return HttpError(
        422,
        "IDEMPOTENCY_KEY_REUSED",
        f"This {HEADER} was used for a different request (another document, operation or "
        "variables). Use a new key for a new request.",
    )


def key_in_progress() -> HttpError:
    return HttpError(
        409,
        "IDEMPOTENCY_KEY_IN_PROGRESS",
        f"The first request with this {HEADER} has not finished; send it again in a moment.",
        headers={"Retry-After": "1"},
    )


def not_for_streams() -> HttpError:
    return bad_request(
        f"The {HEADER} header is for mutations; an event stream runs none. Leave it out."
    )


def _code(error: GraphQLError) -> object:
    return (error.extensions or {}).get("code")
