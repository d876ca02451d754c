"""The `Idempotency-Key` header of POST /graphql: which requests it applies to, and what is
stored and replayed (the storage and the transaction: services/idempotency.py).

- A mutation (the operation the request runs) with the header and a login with write rights
  runs at most once per user and key: a retry with the same key and the same request
  (document, operationName, variables) gets the first response again, with
  `Idempotent-Replayed: true`; with another request, 422 IDEMPOTENCY_KEY_REUSED. A read-only
  token's mutations run as without the header: each is refused (FORBIDDEN), nothing is stored,
  and nothing stored under its user's key is replayed to it.
- Stored, in one transaction with the writes: the response of a document whose mutations ran,
  userErrors and refusals of single fields (NOT_FOUND, a FORBIDDEN beside answers that
  survive, ...) included; a refused mutation does not undo one before it that succeeded (each
  commits its own writes or none; the key covers the whole response). Not stored (the whole
  request rolled back, the mutations' writes too): a request that never ran (syntax,
  validation, limits); a refusal of the credentials (FORBIDDEN, UNAUTHENTICATED) that leaves no
  answer of any mutation (the user's rights may change before the retry); and a failure nobody
  expected (a database error), whose answer says so: the client sends it again with the same
  key.
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
# Refusals of the credentials: not stored when no mutation's answer survives them.
CREDENTIAL_REFUSALS = frozenset({"FORBIDDEN", "UNAUTHENTICATED"})
# A database that failed (web/graphql.py's 503 handling) rather than a bug.
UNAVAILABLE_CODE = "UNAVAILABLE"


def header_key(request: Request) -> str | None:
    """The request's key; None without the header. A malformed key is refused (400), an empty
    or blank one too, not taken for "no key": a client that means to retry safely must learn
    at once that its key does not work."""
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


def refused_as_a_whole(result: ExecutionResult) -> bool:
    """Whether the credentials were refused and no mutation's answer is left (`data` null, or
    every mutation's field null): the request is rolled back and answered as it is, not
    stored; a retry runs again, under the rights the user has then."""
    errors = result.errors or []
    data = result.data
    answered = data is not None and any(value is not None for value in data.values())
    return (
        not answered
        and repeatable(result)
        and any(_code(error) in CREDENTIAL_REFUSALS for error in errors)
    )


def rolled_back(result: ExecutionResult) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, body and headers for a keyed request rolled back after a failure: no `data`
    (nothing of it was kept), the failure's message and code (its request id too), and what
    to do; 503 with Retry-After when the database failed, else 500."""
    failures = [e for e in result.errors or [] if _code(e) not in REPEATABLE_CODES]
    # A database that went away explains the other failures too: 503, retry (as unkeyed).
    failure = next((e for e in failures if _code(e) == UNAVAILABLE_CODE), failures[0])
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
