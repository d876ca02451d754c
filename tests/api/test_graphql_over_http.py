"""/graphql speaks GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): media types
and status codes, GET for queries only, parameter validation, CSRF defence for session cookies,
body size and time limits, masked failures, the playground and introspection switches, and the
graphql-http package's server audit against a running server."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import connections

from leadflow.api.ids import encode_id
from leadflow.app import create_app
from leadflow.auth.sessions import SESSION_COOKIE, open_session
from leadflow.db.models import Campaign
from leadflow.settings import Settings
from tests.app_client import app_client
from tests.helpers import Actor, Actors, data_of, error_codes, make_actors
from tests.live_server import live_server

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
AUDIT_DIR = Path(__file__).resolve().parents[1] / "http-audit"

CREATE_CAMPAIGN = 'mutation { createCampaign(input: {name: "Herbst"}) { campaign { name } } }'
VALID = "{ __typename }"
INVALID = "{ noSuchField }"


async def post(
    client: httpx.AsyncClient,
    payload: Any,
    *,
    accept: str | None = GRAPHQL_RESPONSE_JSON,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a JSON body; `accept=None` sends no Accept header at all."""
    request = client.build_request(
        "POST", "/graphql", content=json.dumps(payload), headers={"Content-Type": JSON}
    )
    request.headers.update(headers or {})
    if accept is None:
        del request.headers["Accept"]
    else:
        request.headers["Accept"] = accept
    return await client.send(request)


def bearer(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {actor.token}"}


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


async def campaign_names() -> list[str]:
    return sorted(await Campaign.all().values_list("name", flat=True))


# --- media types and status codes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (JSON, JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, {JSON};q=0.9", GRAPHQL_RESPONSE_JSON),
        (f"{JSON}, {GRAPHQL_RESPONSE_JSON};q=0.5", JSON),
        (f"{JSON}, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{JSON}, multipart/mixed", JSON),  # what GraphiQL sends
        # Clients that name neither type get what such (older) clients expect.
        ("*/*", JSON),
        ("application/*", JSON),
        (None, JSON),
        ("text/html, */*;q=0.8", JSON),
    ],
)
async def test_the_response_media_type_follows_accept(client, accept, expected):
    response = await post(client, {"query": VALID}, accept=accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{expected}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", ["text/html", "application/xml", f"{JSON};q=0"])
async def test_an_unacceptable_accept_header_gets_406(client, accept):
    response = await post(client, {"query": VALID}, accept=accept)
    assert response.status_code == 406
    assert error_codes(response.json()) == ["NOT_ACCEPTABLE"]


REQUEST_ERRORS = {
    "syntax error": ({"query": "{"}, "Syntax Error"),
    "validation error": ({"query": INVALID}, "Cannot query field 'noSuchField'"),
    "unknown operation": ({"query": "query A { __typename }", "operationName": "B"}, "B"),
    "variable coercion": (
        {"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": None}},
        "$id",
    ),
}


@pytest.mark.parametrize("case", REQUEST_ERRORS)
async def test_a_request_that_never_executes_is_400_or_200_by_media_type(
    client, actors: Actors, case
):
    payload, fragment = REQUEST_ERRORS[case]
    for accept, status in ((GRAPHQL_RESPONSE_JSON, 400), (JSON, 200)):
        response = await post(client, payload, accept=accept, headers=bearer(actors.manager))
        assert response.status_code == status, (accept, response.text)
        assert media_type(response) == accept
        body = response.json()
        assert "data" not in body, body
        assert fragment in body["errors"][0]["message"], body


async def test_an_executed_request_with_errors_is_200_for_both_media_types(client, actors):
    for accept in (GRAPHQL_RESPONSE_JSON, JSON):
        response = await post(
            client, {"query": "{ auditLog { totalCount } }"}, accept=accept,
            headers=bearer(actors.clerk_a),
        )  # fmt: skip
        assert response.status_code == 200
        assert response.json()["data"] is None
        assert error_codes(response.json()) == ["FORBIDDEN"]


async def test_without_a_login_only_introspection_runs(client, actors):
    """Anything else is refused before validation, as a request that never ran."""
    for accept, status in ((GRAPHQL_RESPONSE_JSON, 400), (JSON, 200)):
        response = await post(client, {"query": "{ viewer { name } }"}, accept=accept)
        assert response.status_code == status
        assert "data" not in response.json()
        assert error_codes(response.json()) == ["UNAUTHENTICATED"]
    introspection = await post(client, {"query": "{ __typename __schema { queryType { name } } }"})
    assert data_of(introspection.json())["__schema"] == {"queryType": {"name": "Query"}}


MALFORMED: dict[str, bytes] = {
    "not JSON": b'{ "not a JSON',
    "empty body": b"",
    "a JSON array": b'[{"query": "{ __typename }"}]',
    "no query": b'{"qeury": "{ __typename }"}',
    "a number as query": b'{"query": 1}',
    "an object as query": b'{"query": {"obj": "ect"}}',
    "an empty query": b'{"query": ""}',
    "a number as operationName": b'{"query": "{ __typename }", "operationName": 0}',
    "a string as variables": b'{"query": "{ __typename }", "variables": "{}"}',
    "an array as variables": b'{"query": "{ __typename }", "variables": []}',
    "a string as extensions": b'{"query": "{ __typename }", "extensions": "x"}',
    "deeply nested JSON": b'{"query": "{ __typename }", "variables": {"a": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}}",
}


@pytest.mark.parametrize("case", MALFORMED)
async def test_malformed_requests_are_400_for_both_media_types(client, case):
    for accept in (GRAPHQL_RESPONSE_JSON, JSON):
        response = await client.post(
            "/graphql", content=MALFORMED[case], headers={"Content-Type": JSON, "Accept": accept}
        )
        assert response.status_code == 400, (case, response.text)
        assert media_type(response) == accept
        assert error_codes(response.json()) == ["BAD_REQUEST"], response.text


async def test_null_and_map_parameters_are_accepted(client):
    payload = {
        "query": "query Q($name: String!) { __type(name: $name) { name } }",
        "operationName": "Q",
        "variables": {"name": "Lead"},
        "extensions": {"some": "value"},
    }
    assert (await post(client, payload)).json() == {"data": {"__type": {"name": "Lead"}}}
    nulls = {"query": VALID, "operationName": None, "variables": None, "extensions": None}
    assert (await post(client, nulls)).json() == {"data": {"__typename": "Query"}}


# --- GET ----------------------------------------------------------------------------------------


async def test_get_runs_queries(client, actors: Actors):
    params = {
        "query": "query Me($role: Role) { viewer { name } users(role: $role) { name } }",
        "operationName": "Me",
        "variables": json.dumps({"role": "ADMIN"}),
    }
    response = await client.get("/graphql", params=params, headers=bearer(actors.manager))
    assert response.status_code == 200, response.text
    assert data_of(response.json()) == {
        "viewer": {"name": "Mona Manager"},
        "users": [{"name": "Ada Admin"}],
    }


async def test_get_refuses_mutations_with_405(client, actors: Actors):
    for accept in (GRAPHQL_RESPONSE_JSON, JSON):
        response = await client.get(
            "/graphql",
            params={"query": CREATE_CAMPAIGN},
            headers={**bearer(actors.manager), "Accept": accept},
        )
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert error_codes(response.json()) == ["METHOD_NOT_ALLOWED"]
    assert await campaign_names() == []


async def test_get_with_bad_parameters_is_400(client):
    for params in (
        {},
        {"query": VALID, "variables": "{not json"},
        {"query": VALID, "variables": "[]"},
        {"query": VALID, "extensions": "7"},
    ):
        response = await client.get("/graphql", params=params, headers={"Accept": JSON})
        assert response.status_code == 400, params
        assert error_codes(response.json()) == ["BAD_REQUEST"]


# --- request bodies a browser can send cross-site, and CSRF ------------------------------------


async def session_cookie(actor: Actor) -> dict[str, str]:
    """The cookie of a logged-in browser session of this user."""
    _, secret = await open_session(actor.user, lifetime=timedelta(hours=1))
    return {"Cookie": f"{SESSION_COOKIE}={secret}"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps({"query": CREATE_CAMPAIGN})),
        ("text/plain;charset=UTF-8", json.dumps({"query": CREATE_CAMPAIGN})),
        ("application/x-www-form-urlencoded", "query=" + CREATE_CAMPAIGN),
        (
            "multipart/form-data; boundary=x",
            f'--x\r\nContent-Disposition: form-data; name="query"'
            f"\r\n\r\n{CREATE_CAMPAIGN}\r\n--x--\r\n",
        ),
        ("application/graphql", CREATE_CAMPAIGN),
        (None, json.dumps({"query": CREATE_CAMPAIGN})),
        ("application/json; charset=latin-1", json.dumps({"query": CREATE_CAMPAIGN})),
    ],
)
async def test_only_json_bodies_are_accepted_even_with_a_session_cookie(
    client, actors: Actors, content_type, body
):
    """What a cross-site HTML form (or a 'simple' fetch) can post is refused before anything
    runs, with any cookie and with a real session's cookie."""
    for cookie in ({"Cookie": f"{SESSION_COOKIE}=whatever"}, await session_cookie(actors.manager)):
        headers = {**cookie, **({"Content-Type": content_type} if content_type else {})}
        response = await client.post("/graphql", content=body, headers=headers)
        assert response.status_code == 415, response.text
        assert error_codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]
    assert await campaign_names() == []


async def test_a_session_cookie_post_needs_the_csrf_header(client, actors: Actors):
    cookie = await session_cookie(actors.manager)
    refused = await post(client, {"query": CREATE_CAMPAIGN}, headers=cookie)
    assert refused.status_code == 403
    assert error_codes(refused.json()) == ["CSRF_HEADER_MISSING"]
    assert "x-leadflow-csrf: 1" in refused.json()["errors"][0]["message"].lower()
    # Queries over POST need it too: the endpoint cannot know before parsing.
    query = await post(client, {"query": "{ viewer { name } }"}, headers=cookie)
    assert query.status_code == 403
    assert await campaign_names() == []

    # The SPA sends the header.
    spa = {**cookie, "X-Leadflow-CSRF": "1"}
    created = await post(client, {"query": CREATE_CAMPAIGN}, headers=spa)
    assert data_of(created.json()) == {"createCampaign": {"campaign": {"name": "Herbst"}}}
    # GET needs it too (a link must not run anything as the logged-in user); the SPA sends it.
    viewer = await client.get("/graphql", params={"query": "{ viewer { name } }"}, headers=spa)
    assert data_of(viewer.json()) == {"viewer": {"name": "Mona Manager"}}


async def test_a_link_cannot_run_a_query_or_write_the_audit_log_in_a_users_name(
    client, actors: Actors
):
    """A cross-site link or image with a session cookie and no CSRF header: refused before
    anything runs, so nothing is read and nothing written to the audit log."""
    cookie = await session_cookie(actors.clerk_a)
    link = "query DeleteEverythingNow { auditLog(first: 1) { totalCount } }"
    refused = await client.get("/graphql", params={"query": link}, headers=cookie)
    assert refused.status_code == 403
    assert error_codes(refused.json()) == ["CSRF_HEADER_MISSING"]
    assert await audit_details() == []
    # With the proof, the refusal is audited, and the client-chosen operation name is marked
    # as the client's words.
    spa = {**cookie, "X-Leadflow-CSRF": "1"}
    forbidden = await client.get("/graphql", params={"query": link}, headers=spa)
    assert error_codes(forbidden.json()) == ["FORBIDDEN"]
    [detail] = await audit_details()
    assert "(operation named by the client: 'DeleteEverythingNow')" in detail
    assert not detail.startswith("DeleteEverythingNow")


async def audit_details() -> list[str]:
    from leadflow.db.models import AuditEntry

    return [entry.detail for entry in await AuditEntry.filter(action="access.denied")]


async def test_bearer_requests_need_no_csrf_header(client, actors: Actors):
    # A stray cookie does not matter when a bearer token authenticates the request.
    headers = {**bearer(actors.manager), "Cookie": f"{SESSION_COOKIE}=stale"}
    response = await post(client, {"query": CREATE_CAMPAIGN}, headers=headers)
    assert data_of(response.json()) == {"createCampaign": {"campaign": {"name": "Herbst"}}}


# --- body size, time, masked failures -----------------------------------------------------------


async def test_a_body_over_the_limit_is_refused_with_413(database_url: str):
    settings = Settings(database_url=database_url, max_body_bytes=2_048)
    async with app_client(settings) as client:
        small = await post(client, {"query": VALID + " " * 1_900})
        assert small.status_code == 200
        large = await post(client, {"query": VALID + " " * 2_100})
        assert large.status_code == 413
        assert error_codes(large.json()) == ["PAYLOAD_TOO_LARGE"]

        async def chunks() -> AsyncIterator[bytes]:
            # No Content-Length: the limit is enforced while the body streams in.
            yield b'{"query": "{ __typename }", "padding": "'
            for _ in range(100):
                yield b"x" * 1_000
            yield b'"}'

        streamed = await client.post(
            "/graphql", content=chunks(), headers={"Content-Type": JSON, "Accept": JSON}
        )
        assert streamed.status_code == 413
        assert error_codes(streamed.json()) == ["PAYLOAD_TOO_LARGE"]


async def test_a_request_over_the_time_limit_is_stopped(database_url: str):
    """A slow sender is cut off at the time limit. Two limits end at that moment: the body's
    (408, every route) and /graphql's for the whole request (504); whichever the event loop
    wakes first answers (under load the body's, started a moment earlier, fires alone), and
    both name the limit. /graphql's 504 for slow work is test_request_deadline's."""
    settings = Settings(database_url=database_url, request_timeout_seconds=0.3)
    async with app_client(settings) as client:

        async def slow_body() -> AsyncIterator[bytes]:
            yield b'{"query": "{ __typename }"'
            await asyncio.sleep(5)
            yield b"}"

        started = asyncio.get_running_loop().time()
        response = await client.post(
            "/graphql", content=slow_body(), headers={"Content-Type": JSON, "Accept": JSON}
        )
        assert asyncio.get_running_loop().time() - started < 3
        assert response.status_code in (504, 408), response.text
        expected_code = {504: "TIMEOUT", 408: "BODY_TIMEOUT"}[response.status_code]
        assert error_codes(response.json()) == [expected_code]
        assert "0.3 seconds" in response.json()["errors"][0]["message"]


async def test_a_slow_mutation_is_stopped_and_leaves_nothing_behind(database_url: str):
    settings = Settings(database_url=database_url, request_timeout_seconds=0.05)
    async with app_client(settings) as client:
        manager = (await make_actors()).manager
        campaign = await Campaign.create(name="Winter")
        leads = [{"lastName": f"Person {n}", "email": f"p{n}@x.de"} for n in range(1_000)]
        mutation = """mutation($input: CreateLeadsInput!) {
                        createLeads(input: $input) { leads { id } userErrors { code } } }"""
        variables = {"input": {"campaignId": encode_id("Campaign", campaign.id), "leads": leads}}
        response = await post(
            client, {"query": mutation, "variables": variables}, headers=bearer(manager)
        )
        assert response.status_code == 504, response.text[:300]
        assert error_codes(response.json()) == ["TIMEOUT"]
        assert await connections.get("default").execute_query_dict(
            "SELECT COUNT(*) AS n FROM leads"
        ) == [{"n": 0}]


async def test_a_failure_outside_the_resolvers_is_masked(client, actors: Actors, caplog):
    """Authentication runs before GraphQL; when it breaks, the client gets a request id and the
    log gets the details, never the client."""
    database = connections.get("default")
    await database.execute_script("ALTER TABLE api_tokens RENAME TO api_tokens_away")
    try:
        with caplog.at_level(logging.ERROR, logger="leadflow.api"):
            response = await post(
                client, {"query": "{ viewer { name } }"}, headers=bearer(actors.manager)
            )
    finally:
        await database.execute_script("ALTER TABLE api_tokens_away RENAME TO api_tokens")
    assert response.status_code == 500
    error = response.json()["errors"][0]
    request_id = error["extensions"]["requestId"]
    assert error == {
        "message": f"Unexpected error (request id {request_id}).",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }
    assert "api_tokens" not in response.text and "Traceback" not in response.text
    logged = [record for record in caplog.records if request_id in record.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "api_tokens" in caplog.text


# --- playground and introspection switches ------------------------------------------------------

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def test_the_playground_opens_in_a_browser_from_the_web_apps_build(tmp_path: Path):
    """The page is GraphiQL built with the web app (frontend/playground.html). That it never
    sends the session cookie, takes the token pasted in its Headers tab and ignores headers in
    the URL is tested in a browser: tests/e2e/test_content_security_policy.py."""
    built = "<!doctype html><title>Leadflow GraphQL playground</title>"
    (tmp_path / "playground.html").write_text(built)
    application = create_app(Settings(database_url="sqlite://:memory:"), static_dir=tmp_path)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        response = await browser.get("/graphql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == built
    # Only its own scripts run (no CDN, no inline script), and no other site may frame it to
    # make a user click.
    assert response.headers["x-frame-options"] == "DENY"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self';" in policy and "frame-ancestors 'none'" in policy


async def test_the_playground_and_introspection_can_be_switched_off(database_url: str):
    settings = Settings(database_url=database_url, graphql_ide=False, graphql_introspection=False)
    async with app_client(settings) as client:
        manager = (await make_actors()).manager
        browser = await client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})
        assert "text/html" not in browser.headers["content-type"]
        assert browser.status_code == 400  # a JSON answer: no query given
        html_only = await client.get("/graphql", headers={"Accept": "text/html"})
        assert html_only.status_code == 406

        for query in ("{ __schema { types { name } } }", '{ __type(name: "Lead") { name } }'):
            refused = await post(client, {"query": query})
            assert refused.status_code == 400
            assert error_codes(refused.json()) == ["INTROSPECTION_DISABLED"]
        works = await post(
            client, {"query": "{ __typename viewer { name } }"}, headers=bearer(manager)
        )
        assert data_of(works.json()) == {"__typename": "Query", "viewer": {"name": "Mona Manager"}}


async def test_introspection_and_playground_are_on_by_default(client):
    response = await post(client, {"query": "{ __schema { queryType { name } } }"})
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


# --- the graphql-http audit against a running server --------------------------------------------


def node_modules() -> None:
    """Install the audit's pinned packages (package-lock.json) unless `make test` did."""
    npm = shutil.which("npm")
    assert shutil.which("node") and npm, "Node.js 20+ with npm is needed for the HTTP audit"
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=AUDIT_DIR, check=True, timeout=300
        )


def test_the_graphql_http_audit_passes_every_must_and_should(tmp_path: Path):
    node_modules()
    with live_server(tmp_path) as server:
        completed = subprocess.run(
            ["node", "audit.mjs", server.graphql_url],
            cwd=AUDIT_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, completed.stderr
        results = json.loads(completed.stdout)
    required = [result for result in results if result["name"].startswith(("MUST", "SHOULD"))]
    failures = [result for result in required if result["status"] != "ok"]
    report = "\n".join(
        f"  {result['id']} {result['name']}: {result.get('reason')} "
        f"(HTTP {result.get('responseStatus')}: {result.get('body')})"
        for result in failures
    )
    assert not failures, f"{len(failures)} of {len(required)} MUST/SHOULD audits fail:\n{report}"
    assert len(required) >= 36, f"graphql-http 1.23.1 has 36 MUST/SHOULD audits: {required}"
    assert "Traceback" not in server.log()
