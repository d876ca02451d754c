"""The one CSRF rule of every route (leadflow/web/access.py): a request that a session cookie
authenticates must carry `X-Leadflow-CSRF: 1`, on every route and with every method, except a
download a link starts (GET of a file); a bearer token needs no proof, nor does a request
without a live session. Real app, in-process HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadflow.api.ids import encode_id
from leadflow.auth.sessions import SESSION_COOKIE, open_session
from leadflow.db.models import AuditEntry, Campaign, LoginSession
from leadflow.services import campaigns
from leadflow.web.access import CSRF_HEADER
from tests.api.test_files import FILE

VIEWER = "{ viewer { email } }"


@pytest.fixture
async def route_requests(actors) -> dict[str, dict]:
    """One request per route that reads the caller, as the web app sends it (minus the
    header)."""
    messe = await campaigns.create_campaign(actors.manager.user, "Messe")
    campaign = {"campaign": encode_id("Campaign", messe.id)}
    return {
        "graphql POST": {"method": "POST", "url": "/graphql", "json": {"query": VIEWER}},
        "graphql GET": {"method": "GET", "url": "/graphql", "params": {"query": VIEWER}},
        "upload": {
            "method": "POST",
            "url": "/files/imports",
            "params": {**campaign, "dryRun": "1"},
            "content": FILE,
        },
        "export": {"method": "GET", "url": "/files/exports/leads.csv", "params": campaign},
        "logout": {"method": "POST", "url": "/auth/logout"},
    }


async def session_of(actors) -> str:
    _, secret = await open_session(actors.manager.user, lifetime=timedelta(hours=1))
    return secret


async def test_a_session_cookie_needs_the_header_on_every_route_but_downloads(
    client, actors, route_requests
):
    refused_codes = {}
    for name, request in route_requests.items():
        cookie = {"Cookie": f"{SESSION_COOKIE}={await session_of(actors)}"}
        response = await client.request(**request, headers=cookie)
        if name == "export":
            # A link in the web app starts the download; it cannot send a header.
            assert response.status_code == 200, response.text
            continue
        assert response.status_code == 403, (name, response.text)
        body = response.json()
        error = body["errors"][0]["extensions"] if "errors" in body else body["error"]
        refused_codes[name] = error["code"]
    assert refused_codes == {
        "graphql POST": "CSRF_HEADER_MISSING",
        "graphql GET": "CSRF_HEADER_MISSING",
        "upload": "CSRF",
        "logout": "CSRF",
    }
    assert await LoginSession.filter(revoked_at=None).count() == len(route_requests)

    for name, request in route_requests.items():
        cookie = {"Cookie": f"{SESSION_COOKIE}={await session_of(actors)}", CSRF_HEADER: "1"}
        response = await client.request(**request, headers=cookie)
        assert response.status_code in (200, 204), (name, response.text)


async def test_bearer_tokens_and_requests_without_a_live_session_need_no_header(
    client, actors, route_requests
):
    for name, request in route_requests.items():
        bearer = {"Authorization": f"Bearer {actors.manager.token}"}
        response = await client.request(**request, headers=bearer)
        assert response.status_code in (200, 204), (name, response.text)
    # A cookie of no live session authenticates nobody: nothing to protect (GraphQL answers
    # anonymously, the files ask for a login, the logout only clears the cookie).
    stale = {"Cookie": f"{SESSION_COOKIE}=lfs_gone"}
    statuses = {
        name: (await client.request(**request, headers=stale)).status_code
        for name, request in route_requests.items()
    }
    assert statuses == {
        "graphql POST": 200,
        "graphql GET": 200,
        "upload": 401,
        "export": 401,
        "logout": 204,
    }
    assert await Campaign.all().count() == 1
    assert await AuditEntry.filter(action="access.denied").count() == 0
