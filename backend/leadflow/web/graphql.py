"""The /graphql endpoint: GraphQL over HTTP (https://graphql.github.io/graphql-over-http/).

POST carries a JSON body, GET carries queries (never mutations) in the URL. The response is
`application/graphql-response+json` or `application/json`, as the Accept header prefers, with the
spec's status codes for each. Before any GraphQL runs the request must have an acceptable media
type (406, 415), fit the body size limit (413) and meet the CSRF rule of every route
(`web/access.py`, 403); the whole request is bounded in time (504). Refusals are the web layer's
`HttpError`s, written in GraphQL's error shape. GET with Accept: text/html serves the GraphiQL
playground (`web/playground.py`) when it is switched on. A POST mutation with an
`Idempotency-Key` header runs at most once per user and key (`web/idempotency.py`).

With `Accept: text/event-stream` the request is GraphQL over Server-Sent Events (the graphql-sse
protocol's distinct-connections mode) for subscriptions and queries: the same refusals first,
then one `next` event per result and a `complete` at the end; comment lines keep idle
connections open, and the login is checked again while the stream lasts (`web/live.py`).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import strawberry
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from graphql import GraphQLError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from leadflow.api.context import Context
from leadflow.api.errors import UNAVAILABLE, unexpected_error
from leadflow.api.limits import HeavyLane
from leadflow.auth import policy
from leadflow.db.availability import RETRY_AFTER_SECONDS, database_unavailable
from leadflow.db.deadline import database_deadline
from leadflow.errors import DomainError
from leadflow.services import idempotency
from leadflow.services.due import UTC_ZONE
from leadflow.settings import Settings
from leadflow.web.access import READ_METHODS, Caller, caller, forget_kept_logins, session_secret
from leadflow.web.bodies import JSON, body_chunks, require_json
from leadflow.web.client import client_address
from leadflow.web.errors import HttpError, bad_request, unauthenticated
from leadflow.web.idempotency import (
    HEADER,
    REPLAYED_HEADER,
    header_key,
    key_in_progress,
    key_reused,
    not_for_streams,
    refused_as_a_whole,
    repeatable,
    rolled_back,
    runs_mutation,
)
from leadflow.web.live import (
    HEARTBEAT_SECONDS,
    MAX_CONNECTIONS_PER_USER,
    RECHECK_SECONDS,
    Login,
    StreamingSchema,
    hub_of,
    release_connection,
    take_connection,
)
from leadflow.web.playground import Playground
from leadflow.web.time_zone import header_time_zone
from leadflow.web.unavailable import log_unavailable, unavailable

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
EVENT_STREAM = "text/event-stream"
# The web layer's refusal codes that GraphQL clients know by another name.
GRAPHQL_CODES = {"CSRF": "CSRF_HEADER_MISSING"}

log = logging.getLogger("leadflow.api")


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


def request_time_zone(request: Request) -> ZoneInfo:
    """The viewer's time zone for "today" (due states, `web/time_zone.py`); UTC without one."""
    try:
        return header_time_zone(request) or UTC_ZONE
    except DomainError as error:
        raise bad_request(error.message) from None


class GraphQLEndpoint:
    """Route `/graphql` to `endpoint.handle` (GET and POST)."""

    def __init__(self, schema: strawberry.Schema, settings: Settings, static_dir: Path) -> None:
        self._schema = schema
        self._max_body_bytes = settings.max_body_bytes
        self._timeout = settings.request_timeout_seconds
        self._max_document_chars = settings.graphql_max_document_chars
        self._max_tokens = settings.graphql_max_tokens
        self._playground = Playground(static_dir) if settings.graphql_ide else None

    async def handle(self, request: Request) -> Response | EventStream:
        if self._playground is not None and wants_playground(request):
            return self._playground.response()
        if wants_event_stream(request):
            return await self._event_stream(request)
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            return refusal_response(_not_acceptable(), JSON)
        try:
            result = await self._run_in_time(request, media_type)
            if isinstance(result, Response):
                return result
            return result_response(result, media_type)
        except HttpError as refusal:
            return refusal_response(refusal, media_type)
        except Exception as error:
            if database_unavailable(error):
                log_unavailable(error, "graphql")
                return refusal_response(unavailable(), media_type)
            # A bug outside field resolution: the client gets a request id, the log the details.
            masked = unexpected_error(error)
            return json_response({"errors": [masked.formatted]}, 500, media_type)

    async def _run_in_time(self, request: Request, media_type: str) -> ExecutionResult | Response:
        # The whole request, body upload included, so a slow sender is cut off too; its
        # database statements stop with it.
        deadline = database_deadline(self._timeout)
        try:
            async with deadline:
                return await self._run(request, media_type)
        except TimeoutError:
            if deadline.expired():
                raise self._timed_out(request) from None
            raise

    async def _run(self, request: Request, media_type: str) -> ExecutionResult | Response:
        params = await self._read_params(request)
        key = header_key(request)
        # After the body: a form's post is refused as such (415) whatever cookie it carries.
        auth = await caller(request)
        context = Context(
            auth=auth, address=client_address(request), time_zone=request_time_zone(request)
        )
        if (
            key is not None
            and policy.idempotency_key_applies(auth)
            and self._runs_mutation(params, request)
        ):
            return await self._execute_once(params, context, auth.user.id, key, media_type)
        return await self._execute(params, context, request.method)

    def _runs_mutation(self, params: GraphQLParams, request: Request) -> bool:
        if request.method in READ_METHODS:
            return False
        return runs_mutation(
            params.query, params.operation_name, self._max_document_chars, self._max_tokens
        )

    async def _execute_once(
        self, params: GraphQLParams, context: Context, user_id: int, key: str, media_type: str
    ) -> Response:
        """The mutation at most once for the user's key (services/idempotency.py): its
        response stored in its transaction, or the stored one replayed."""
        answered: list[Response] = []

        async def run() -> idempotency.Outcome:
            result = await self._execute(params, context, "POST")
            refused = refused_as_a_whole(result)
            keep = not is_request_error(result) and not refused and repeatable(result)
            if keep or refused or is_request_error(result):
                response = result_response(result, media_type)
            else:
                status, body, headers = rolled_back(result)
                response = json_response(body, status, media_type, headers)
            answered.append(response)
            stored = idempotency.StoredResponse(response.status_code, bytes(response.body).decode())
            return idempotency.Outcome(stored, keep=keep)

        digest = idempotency.request_digest(params.query, params.operation_name, params.variables)
        try:
            # The heavy lane before the transaction, never inside it (api/limits.HeavyLane).
            async with self._lane_before(params):
                stored = await idempotency.once(user_id, key, digest, run)
        except idempotency.KeyReused:
            raise key_reused() from None
        except idempotency.KeyInProgress:
            raise key_in_progress() from None
        finally:
            # Saves of users and tokens in the transaction cleared the kept token lookups before
            # its COMMIT; a lookup in between read the old rows (auth/tokens.py).
            forget_kept_logins()
        if not stored.replayed:
            return answered[-1]
        return Response(
            stored.body.encode("utf-8"),
            status_code=stored.status,
            media_type=f"{media_type}; charset=utf-8",
            headers={REPLAYED_HEADER: "true"},
        )

    def _lane_before(self, params: GraphQLParams) -> contextlib.AbstractAsyncContextManager[None]:
        lane = getattr(self._schema, "heavy_lane", None)
        if not isinstance(lane, HeavyLane):
            return contextlib.nullcontext()
        return lane.before(self._schema._schema, params.query, params.variables)

    async def _read_params(self, request: Request) -> GraphQLParams:
        if request.method in READ_METHODS:
            return params_from_url(request)
        require_json(request.headers.get("content-type"))
        body = await self._read_body(request)
        if not body:
            raise bad_request("The request body is empty; send a JSON object with a 'query'.")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            raise bad_request("The request body is not valid JSON.") from None
        return params_from_payload(payload)

    async def _read_body(self, request: Request) -> bytes:
        body = bytearray()
        try:
            async for chunk in body_chunks(request, self._max_body_bytes, self._too_large()):
                body += chunk
        except ClientDisconnect:
            raise bad_request("The client went away before the body was complete.") from None
        return bytes(body)

    async def _execute(
        self, params: GraphQLParams, context: Context, method: str
    ) -> ExecutionResult:
        allowed = {OperationType.QUERY}
        if method not in READ_METHODS:
            allowed.add(OperationType.MUTATION)
        try:
            return await self._schema.execute(
                params.query,
                variable_values=params.variables,
                context_value=context,
                operation_name=params.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=params.extensions,
            )
        except InvalidOperationTypeError as error:
            raise _operation_not_allowed(error, method) from None
        except CannotGetOperationTypeError as error:
            # Not a malformed HTTP request but a GraphQL request error (unknown operationName).
            return request_error(error.as_http_error_reason())
        except MissingQueryError:
            raise bad_request("The 'query' parameter is empty.") from None

    async def _event_stream(self, request: Request) -> Response | EventStream:
        """GraphQL over SSE: refusals as JSON responses, as for any request; then the stream."""
        try:
            async with database_deadline(self._timeout):
                params = await self._read_params(request)
                if header_key(request) is not None:
                    raise not_for_streams()
                auth = await caller(request)
            if auth is None:
                raise unauthenticated()
        except HttpError as refusal:
            return refusal_response(refusal, JSON)
        except TimeoutError:
            return refusal_response(self._timed_out(request), JSON)
        if not take_connection(auth.user.id):
            return refusal_response(_too_many_streams(), JSON)
        login = request_login(request, auth)
        context = Context(
            auth=auth,
            address=client_address(request),
            time_zone=request_time_zone(request),
            events=hub_of(request),
            credentials=login,
        )
        results = await StreamingSchema(self._schema).stream(
            params.query,
            variable_values=params.variables,
            context_value=context,
            operation_name=params.operation_name,
            operation_extensions=params.extensions,
        )
        return EventStream(results, login)

    def _too_large(self) -> HttpError:
        return HttpError(
            413,
            "PAYLOAD_TOO_LARGE",
            f"The request body exceeds {self._max_body_bytes} bytes. Send fewer items per request.",
        )

    def _timed_out(self, request: Request) -> HttpError:
        log.warning("GraphQL request stopped after %s s (%s)", self._timeout, request.url.path)
        retry = (
            f"A mutation sent with an {HEADER} runs at most once: send it again with the same key."
            if HEADER.lower() in request.headers
            else "A mutation may have completed nonetheless: check before sending it again."
        )
        return HttpError(
            504,
            "TIMEOUT",
            f"The request did not finish within {self._timeout:g} seconds and was stopped. "
            f"Ask for less per request. {retry}",
            # The body may be unread (a slow sender): the connection cannot serve another request.
            headers={"Connection": "close"},
        )


def wants_event_stream(request: Request) -> bool:
    """GraphQL over SSE: text/event-stream named in the Accept header and preferred to both
    JSON types. Clients that name every type alike (urql sends JSON and text/event-stream at
    the same quality for every request) get JSON: a mutation must never become a stream."""
    ranges = _accept_ranges(request.headers.get("accept", ""))
    quality, specificity = _acceptance(EVENT_STREAM, ranges)
    if specificity != 2 or quality <= 0:
        return False
    json_quality = max(_acceptance(JSON, ranges)[0], _acceptance(GRAPHQL_RESPONSE_JSON, ranges)[0])
    return quality > json_quality


def request_login(request: Request, auth: Caller) -> Login:
    """The credentials `caller` accepted, to check again while a stream lasts."""
    header = request.headers.get("authorization", "")
    if header:
        login = Login(header.partition(" ")[2].strip(), session=False)
    else:
        login = Login(session_secret(request) or "", session=True)
    login.auth = auth
    return login


class EventStream:
    """The SSE response (an ASGI app): the results as `next` events, then `complete`; a comment
    line after every quiet HEARTBEAT_SECONDS, and the login checked every RECHECK_SECONDS (a
    revoked one ends the stream). The results are read beside the writer, in one task group
    bound to this response, so a quiet subscription still lets heartbeats out and a client
    that goes away stops both."""

    def __init__(self, results: AsyncIterator[Any], login: Login) -> None:
        self.results = results
        self.login = login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
            sender, received = anyio.create_memory_object_stream[Any](100)
            async with anyio.create_task_group() as group:
                group.start_soon(self._read, sender)
                group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
                await self._write(received, send)
                group.cancel_scope.cancel()
        finally:
            if self.login.auth is not None:
                release_connection(self.login.auth.user.id)

    async def _read(self, sender: MemoryObjectSendStream[Any]) -> None:
        try:
            async with sender:
                async for result in self.results:
                    await sender.send(result)
        except Exception:
            log.exception("A subscription's stream failed")
        finally:
            with anyio.CancelScope(shield=True):
                await _close(self.results)

    async def _write(self, received: MemoryObjectReceiveStream[Any], send: Send) -> None:
        next_check = anyio.current_time() + RECHECK_SECONDS
        while not self.login.revoked.is_set():
            chunk = ": heartbeat\n\n"
            with anyio.move_on_after(HEARTBEAT_SECONDS):
                try:
                    chunk = sse_message("next", result_body(await received.receive()))
                except anyio.EndOfStream:
                    break
            await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})
            if anyio.current_time() >= next_check:
                next_check = anyio.current_time() + RECHECK_SECONDS
                await self.login.still_valid(fresh=True)
        body = sse_message("complete", None).encode()
        await send({"type": "http.response.body", "body": body, "more_body": False})


SSE_HEADERS = [
    (b"content-type", f"{EVENT_STREAM}; charset=utf-8".encode()),
    # No proxy may buffer or transform the stream.
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


async def _close(results: AsyncIterator[Any]) -> None:
    closer = getattr(results, "aclose", None)
    if closer is not None:
        with contextlib.suppress(Exception):
            await closer()


def result_body(result: ExecutionResult) -> dict[str, Any]:
    """A result in GraphQL's response shape (no `data` for a request error)."""
    refused = isinstance(result, PreExecutionError) or is_request_error(result)
    body: dict[str, Any] = {} if refused else {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def sse_message(event: str, body: dict[str, Any] | None) -> str:
    data = "" if body is None else json.dumps(body, ensure_ascii=True, separators=(",", ":"))
    return f"event: {event}\ndata: {data}\n\n"


def params_from_payload(payload: object) -> GraphQLParams:
    """The parameters of a POST body, validated as the GraphQL-over-HTTP spec asks."""
    if not isinstance(payload, dict):
        raise bad_request("The request body must be a JSON object with a 'query'.")
    query = payload.get("query")
    if not isinstance(query, str):
        raise bad_request("The 'query' parameter is required and must be a string.")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise bad_request("The 'operationName' parameter must be a string or null.")
    return GraphQLParams(
        query=query,
        operation_name=operation_name,
        variables=_optional_map(payload.get("variables"), "variables"),
        extensions=_optional_map(payload.get("extensions"), "extensions"),
    )


def params_from_url(request: Request) -> GraphQLParams:
    """GET: `query` and `operationName` as they are, `variables` and `extensions` as JSON."""
    url_params = request.query_params
    payload: dict[str, object] = {
        "query": url_params.get("query"),
        "operationName": url_params.get("operationName") or None,
    }
    for name in ("variables", "extensions"):
        raw = url_params.get(name)
        if raw:
            try:
                payload[name] = json.loads(raw)
            except (ValueError, RecursionError):
                raise bad_request(f"The '{name}' parameter is not valid JSON.") from None
    return params_from_payload(payload)


def _optional_map(value: object, name: str) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise bad_request(f"The '{name}' parameter must be a JSON object or null.")
    return value


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when we serve nothing acceptable.

    A client naming application/graphql-response+json gets it. A client that names neither type
    but accepts anything (a missing Accept header, `*/*`) gets application/json, as the spec's
    compatibility rules and the graphql-http audit expect of servers for such legacy clients.
    """
    if accept is None or not accept.strip():
        return JSON
    ranges = _accept_ranges(accept)
    graphql_response = _acceptance(GRAPHQL_RESPONSE_JSON, ranges)
    json_ = _acceptance(JSON, ranges)
    if max(graphql_response[0], json_[0]) <= 0:
        return None
    if graphql_response == json_:
        return GRAPHQL_RESPONSE_JSON if graphql_response[1] == 2 else JSON
    return GRAPHQL_RESPONSE_JSON if graphql_response > json_ else JSON


def _accept_ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_range:
            ranges.append((media_range.lower(), quality))
    return ranges


def _acceptance(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """(q, specificity) of the most specific range that matches: 2 exact, 1 `type/*`, 0 `*/*`."""
    kind = media_type.split("/")[0]
    specificity_of = {media_type: 2, f"{kind}/*": 1, "*/*": 0}
    best = (0.0, -1)
    for media_range, quality in ranges:
        specificity = specificity_of.get(media_range, -1)
        if specificity > best[1]:
            best = (quality, specificity)
    return best


def wants_playground(request: Request) -> bool:
    """A browser opening /graphql: GET, no query, text/html asked for by name."""
    if request.method not in READ_METHODS or "query" in request.query_params:
        return False
    ranges = _accept_ranges(request.headers.get("accept", ""))
    quality, specificity = _acceptance("text/html", ranges)
    return specificity >= 1 and quality > 0


def request_error(message: str) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(message)])


def is_request_error(result: ExecutionResult) -> bool:
    """No field ran: parse, validation, limit and variable errors (the spec's "request error",
    whose response carries no `data`). Errors from fields always carry a path."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def result_response(result: ExecutionResult, media_type: str) -> Response:
    refused = is_request_error(result)
    body: dict[str, Any] = {} if refused else {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    # application/json keeps 200 for every well-formed request; the newer media type tells a
    # request that never ran (400) from one that did (200).
    status = 400 if refused and media_type == GRAPHQL_RESPONSE_JSON else 200
    if any((error.extensions or {}).get("code") == UNAVAILABLE for error in result.errors or []):
        # A field could not reach the database (web/unavailable.py): the client tries again.
        return json_response(body, 503, media_type, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return json_response(body, status, media_type)


def refusal_response(refusal: HttpError, media_type: str) -> Response:
    code = GRAPHQL_CODES.get(refusal.code, refusal.code)
    body = {"errors": [{"message": refusal.message, "extensions": {"code": code}}]}
    return json_response(body, refusal.status, media_type, refusal.headers)


def json_response(
    body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        content = text.encode("utf-8")
    except UnicodeEncodeError:
        # An error message may quote a client's lone surrogate, which UTF-8 cannot carry;
        # JSON's \u escapes can.
        content = json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return Response(
        content, status_code=status, media_type=f"{media_type}; charset=utf-8", headers=headers
    )


def _too_many_streams() -> HttpError:
    return HttpError(
        429,
        "TOO_MANY_CONNECTIONS",
        f"At most {MAX_CONNECTIONS_PER_USER} live connections (WebSocket and event streams) "
        "per user; close one first.",
    )


def _not_acceptable() -> HttpError:
    return HttpError(
        406,
        "NOT_ACCEPTABLE",
        f"Leadflow answers with {GRAPHQL_RESPONSE_JSON} or {JSON}; the Accept header allows "
        "neither.",
    )


def _operation_not_allowed(error: InvalidOperationTypeError, method: str) -> HttpError:
    if method in READ_METHODS:
        return HttpError(
            405,
            "METHOD_NOT_ALLOWED",
            "Mutations must be sent with POST.",
            headers={"Allow": "POST"},
        )
    return bad_request(f"{error.operation_type.value.capitalize()} operations are not supported.")
