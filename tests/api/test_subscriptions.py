"""GraphQL subscriptions on /graphql over a real server (uvicorn in the test's event loop, on the
test's database): WebSocket with graphql-transport-ws, and Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from leadflow import clock
from leadflow.app import create_app
from leadflow.auth.sessions import SESSION_COOKIE, close_session, open_session
from leadflow.db.models import ApiToken, OutboxEvent
from leadflow.settings import Settings, SettingsError
from leadflow.web import graphql as graphql_web
from leadflow.web import live
from tests.helpers import Actor, Actors, free_port, mutate_ok, new_campaign, new_leads

PROTOCOL = "graphql-transport-ws"
TASK_EVENTS = "subscription { taskEvents { kind eventId lead { id } } }"
COUNTS = "subscription { leadCountsChanged { new active done } }"
# The hub of the app under test: a subscription is waited for until it is registered there.
HUBS: list[Any] = []


@pytest_asyncio.fixture
async def server(app: Starlette) -> AsyncIterator[str]:
    """The app (lifespan already running) served on a free port; yields host:port."""
    # Login checks are remembered per process for a few seconds; the tests' databases differ
    # while their users' tokens may not.
    live._recent_checks.clear()
    HUBS[:] = [app.state.hub]
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    serving = uvicorn.Server(config)
    task = asyncio.create_task(serving.serve())
    while not serving.started:
        await asyncio.sleep(0.01)
    yield f"127.0.0.1:{port}"
    serving.should_exit = True
    await task


@asynccontextmanager
async def socket(
    server: str, payload: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[ClientConnection]:
    async with connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL], **options) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        yield ws


def bearer_header(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {actor.token}"}


def bearer(actor: Actor) -> dict[str, str]:
    return {"authorization": f"Bearer {actor.token}"}


async def acknowledged(ws: ClientConnection) -> None:
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}


async def subscribed(ws: ClientConnection, query: str, op: str = "1") -> None:
    await acknowledged(ws)
    before = hub_subscriptions()
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": query}}))
    await until_hub_holds(before + 1)


def hub_subscriptions() -> int:
    return len(HUBS[0]._subscriptions)


async def until_hub_holds(count: int) -> None:
    """Until the server has started the subscription (events from now on reach it)."""
    for _ in range(500):
        if hub_subscriptions() >= count:
            return
        await asyncio.sleep(0.01)
    pytest.fail("the subscription never reached the hub")


async def next_message(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    """The next message that is not the server's heartbeat."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] != "ping":
            return message


async def next_data(ws: ClientConnection, field: str, timeout: float = 5) -> Any:
    """The next message's data of the subscription `field`."""
    return (await next_message(ws, timeout))["payload"]["data"][field]


async def nothing_arrives(ws: ClientConnection, seconds: float = 0.7) -> None:
    with pytest.raises(TimeoutError):
        await next_message(ws, seconds)


async def campaign_with_leads(client: httpx.AsyncClient, manager: Actor, count: int) -> list[str]:
    campaign = await new_campaign(client, manager, "Messe Süd")
    rows = [f"Live{index}" for index in range(count)]
    return [lead["id"] for lead in await new_leads(client, manager, campaign, rows)]


async def assign(client: httpx.AsyncClient, manager: Actor, lead_ids: list[str], clerk: Actor):
    await mutate_ok(
        client,
        manager,
        "assignLeads",
        {"leadIds": lead_ids, "assigneeId": clerk.gid},
        "leads { id }",
    )


async def reassign(client: httpx.AsyncClient, manager: Actor, lead_id: str, clerk: Actor) -> None:
    await mutate_ok(
        client,
        manager,
        "reassignLead",
        {"leadId": lead_id, "assigneeId": clerk.gid},
        "lead { id }",
    )


async def test_a_clerk_gets_its_assignment_and_no_one_else_does(
    server: str, client: httpx.AsyncClient, actors: Actors
) -> None:
    (lead,) = await campaign_with_leads(client, actors.manager, 1)
    async with (
        socket(server, bearer(actors.clerk_a)) as clara,
        socket(server, bearer(actors.clerk_b)) as bruno,
    ):
        await subscribed(clara, TASK_EVENTS)
        await subscribed(bruno, TASK_EVENTS)

        await assign(client, actors.manager, [lead], actors.clerk_a)
        message = await next_message(clara, timeout=1.0)
        assert message["type"] == "next" and message["id"] == "1"
        event = message["payload"]["data"]["taskEvents"]
        assert event["kind"] == "ASSIGNED" and event["lead"] == {"id": lead}
        await nothing_arrives(bruno)

        # Reassigned: Clara learns only the id of what she no longer sees, Bruno gets it.
        await reassign(client, actors.manager, lead, actors.clerk_b)
        away = await next_data(clara, "taskEvents")
        assert away["kind"] == "REASSIGNED_AWAY" and away["lead"] == {"id": lead}
        came = await next_data(bruno, "taskEvents")
        assert came["kind"] == "ASSIGNED" and came["lead"] == {"id": lead}
        assert int(came["eventId"]) > int(event["eventId"])


async def test_a_lead_taken_away_shows_nothing_but_its_id(
    server: str, client: httpx.AsyncClient, actors: Actors
) -> None:
    (lead,) = await campaign_with_leads(client, actors.manager, 1)
    await assign(client, actors.manager, [lead], actors.clerk_a)
    query = "subscription { taskEvents { kind lead { id contact { email } } } }"
    async with socket(server, bearer(actors.clerk_a)) as clara:
        await subscribed(clara, query)
        await reassign(client, actors.manager, lead, actors.clerk_b)
        payload = (await next_message(clara))["payload"]
        while payload["data"] is not None:
            # The assignment's own event, when the hub read it only after Clara subscribed.
            assert payload["data"]["taskEvents"]["kind"] == "ASSIGNED"
            payload = (await next_message(clara))["payload"]
        assert [error["extensions"]["code"] for error in payload["errors"]] == ["NOT_FOUND"]
        assert "example.com" not in json.dumps(payload)


async def test_a_manager_sees_the_counts_change(
    server: str, client: httpx.AsyncClient, actors: Actors
) -> None:
    leads = await campaign_with_leads(client, actors.manager, 3)
    async with socket(server, bearer(actors.manager)) as mona:
        await subscribed(mona, COUNTS)
        await assign(client, actors.manager, leads[:2], actors.clerk_a)
        counts = await next_data(mona, "leadCountsChanged")
        assert counts == {"new": 1, "active": 2, "done": 0}


async def test_a_burst_of_changes_is_counted_once(
    server: str, client: httpx.AsyncClient, actors: Actors
) -> None:
    leads = await campaign_with_leads(client, actors.manager, 6)
    async with socket(server, bearer(actors.manager)) as mona:
        await subscribed(mona, COUNTS)
        await asyncio.gather(
            *(assign(client, actors.manager, [lead], actors.clerk_a) for lead in leads)
        )
        seen = []
        while True:
            counts = await next_data(mona, "leadCountsChanged")
            seen.append(counts)
            if counts == {"new": 0, "active": 6, "done": 0}:
                break
        # Six changes, at most one recount per 250 ms: fewer pushes than changes.
        assert len(seen) < 6


async def test_a_clerk_hears_of_its_notifications_only(
    server: str, client: httpx.AsyncClient, actors: Actors
) -> None:
    leads = await campaign_with_leads(client, actors.manager, 2)
    query = "subscription { notificationAdded { id kind message readAt lead { id } } }"
    async with (
        socket(server, bearer(actors.clerk_a)) as clara,
        socket(server, bearer(actors.clerk_b)) as bruno,
    ):
        await subscribed(clara, query)
        await subscribed(bruno, query)
        await assign(client, actors.manager, leads, actors.clerk_a)
        added = await next_data(clara, "notificationAdded", timeout=1.0)
        assert added["kind"] == "LEAD_ASSIGNED" and added["readAt"] is None
        assert "2" in added["message"]  # one notification for the batch of two
        await nothing_arrives(clara)
        await nothing_arrives(bruno)


async def test_a_clerk_resumes_after_the_last_event_it_saw(
    server: str, client: httpx.AsyncClient, actors: Actors
) -> None:
    first, second = await campaign_with_leads(client, actors.manager, 2)
    async with socket(server, bearer(actors.clerk_a)) as clara:
        await subscribed(clara, TASK_EVENTS)
        await assign(client, actors.manager, [first], actors.clerk_a)
        seen = (await next_data(clara, "taskEvents"))["eventId"]
    # Away while the second lead comes: back with the last id, it gets that one, once.
    await assign(client, actors.manager, [second], actors.clerk_a)
    resume = "subscription($after: ID) { taskEvents(lastEventId: $after) { kind lead { id } } }"
    message = {"query": resume, "variables": {"after": seen}}
    async with socket(server, bearer(actors.clerk_a)) as clara:
        await acknowledged(clara)
        await clara.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
        event = await next_data(clara, "taskEvents")
        assert event == {"kind": "ASSIGNED", "lead": {"id": second}}
        await nothing_arrives(clara)

    # The events after an id were pruned: told to refetch first, then live again.
    await OutboxEvent.filter(id__lte=int(seen)).delete()
    message["variables"] = {"after": str(int(seen) - 1)}
    async with socket(server, bearer(actors.clerk_a)) as clara:
        await acknowledged(clara)
        await clara.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
        payload = (await next_message(clara))["payload"]
        assert payload["data"] is None
        assert {error["extensions"]["code"] for error in payload["errors"]} == {"REFETCH"}
        await reassign(client, actors.manager, second, actors.clerk_b)
        event = await next_data(clara, "taskEvents")
        assert event == {"kind": "REASSIGNED_AWAY", "lead": {"id": second}}


async def test_a_session_cookie_needs_the_apps_origin(server: str, actors: Actors) -> None:
    _, secret = await open_session(actors.clerk_a.user, lifetime=timedelta(hours=1))
    cookie = {"Cookie": f"{SESSION_COOKIE}={secret}"}

    # No Origin: not a browser, so the cookie does not count.
    async with socket(server, additional_headers=cookie) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await next_message(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403

    # Another site's page: refused at the handshake.
    with pytest.raises(InvalidStatus) as refused:
        async with socket(server, additional_headers=cookie, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403

    # The app's own page.
    async with socket(server, additional_headers=cookie, origin=f"http://{server}") as ws:
        await subscribed(ws, TASK_EVENTS)


async def test_one_user_holds_a_bounded_number_of_connections(server: str, actors: Actors) -> None:
    async with AsyncExitStack() as stack:
        for _ in range(live.MAX_CONNECTIONS_PER_USER):
            await acknowledged(
                await stack.enter_async_context(socket(server, bearer(actors.clerk_a)))
            )
        async with socket(server, bearer(actors.clerk_a)) as one_too_many:
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(one_too_many)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        async with socket(server, bearer(actors.clerk_b)) as another_user:
            await acknowledged(another_user)
        # The same cap holds for event streams.
        headers = {"Accept": "text/event-stream", **bearer_header(actors.clerk_a)}
        async with httpx.AsyncClient(base_url=f"http://{server}") as http:
            refused = await http.post("/graphql", json={"query": TASK_EVENTS}, headers=headers)
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_CONNECTIONS"
    # Closed connections count no more (once the server has seen them close).
    for _attempt in range(50):
        async with socket(server, bearer(actors.clerk_a)) as again:
            try:
                await acknowledged(again)
                break
            except ConnectionClosed:
                await asyncio.sleep(0.1)
    else:
        pytest.fail("the closed connections still count")


def test_the_public_url_counts_by_its_origin() -> None:
    settings = Settings.from_env({"LEADFLOW_PUBLIC_URL": "https://CRM.example.com:443/leadflow/"})
    assert live._app_origins(settings) == ("https://crm.example.com",)
    create_app(settings)  # a path does not break the WebSocket route
    with pytest.raises(SettingsError):
        Settings.from_env({"LEADFLOW_PUBLIC_URL": "crm.example.com"})


async def test_no_login_no_connection(server: str, actors: Actors) -> None:
    for payload in ({}, {"authorization": "Bearer lf_wrong"}, {"authorization": "Basic x"}):
        async with socket(server, payload) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(ws)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_revoked_token_ends_the_connection(
    server: str, client: httpx.AsyncClient, actors: Actors
) -> None:
    (lead,) = await campaign_with_leads(client, actors.manager, 1)
    async with socket(server, bearer(actors.clerk_a)) as clara:
        await subscribed(clara, TASK_EVENTS)
        await ApiToken.filter(user_id=actors.clerk_a.user.id).update(revoked_at=clock.now())
        await assign(client, actors.manager, [lead], actors.clerk_a)
        with pytest.raises(ConnectionClosed) as closed:
            while True:  # the subscription completes, then the connection closes
                assert (await next_message(clara))["type"] == "complete"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_closed_session_ends_a_quiet_connection(
    server: str, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No event comes: the periodic check (every 30 s in production) finds the logout.
    monkeypatch.setattr(live, "RECHECK_SECONDS", 0.3)
    _, secret = await open_session(actors.clerk_a.user, lifetime=timedelta(hours=1))
    cookie = {"Cookie": f"{SESSION_COOKIE}={secret}"}
    async with socket(server, additional_headers=cookie, origin=f"http://{server}") as ws:
        await subscribed(ws, TASK_EVENTS)
        await close_session(secret)
        with pytest.raises(ConnectionClosed) as closed:
            await next_message(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_revoked_token_ends_a_quiet_event_stream(
    server: str, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphql_web, "HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setattr(graphql_web, "RECHECK_SECONDS", 0.3)
    headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {actors.clerk_a.token}"}
    async with (
        httpx.AsyncClient(base_url=f"http://{server}") as http,
        http.stream("POST", "/graphql", json={"query": TASK_EVENTS}, headers=headers) as response,
    ):
        lines = response.aiter_lines()
        assert await asyncio.wait_for(anext(lines), 5) == ": heartbeat"
        await ApiToken.filter(user_id=actors.clerk_a.user.id).update(revoked_at=clock.now())
        rest = [line.rstrip() async for line in lines if line]
        assert rest[-2:] == ["event: complete", "data:"]


async def test_a_query_sent_again_on_the_same_socket_reads_afresh(
    server: str, client: httpx.AsyncClient, actors: Actors
) -> None:
    """The reviewer's case: the lead behind a notification, read once on a socket, must not be
    served from that read's loaders after it went to another clerk (each operation of a
    connection gets its own context)."""
    (lead,) = await campaign_with_leads(client, actors.manager, 1)
    await assign(client, actors.manager, [lead], actors.clerk_a)
    fields = "id assignee { id } feedback { note }"
    query = f"{{ notifications {{ edges {{ node {{ lead {{ {fields} }} }} }} }} }}"
    message = {"query": query}
    async with socket(server, bearer(actors.clerk_a)) as clara:
        await acknowledged(clara)
        await clara.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
        first = (await next_message(clara))["payload"]
        (edge,) = first["data"]["notifications"]["edges"]
        assert edge["node"]["lead"]["assignee"] == {"id": actors.clerk_a.gid}
        while (await next_message(clara))["type"] != "complete":
            pass
        await reassign(client, actors.manager, lead, actors.clerk_b)
        await mutate_ok(
            client,
            actors.clerk_b,
            "recordFeedback",
            {"leadId": lead, "channel": "PHONE", "note": "Bens private note"},
            "feedback { id }",
        )
        await clara.send(json.dumps({"id": "2", "type": "subscribe", "payload": message}))
        again = (await next_message(clara))["payload"]
        assert "Bens private note" not in json.dumps(again)
        leads_read = [e["node"]["lead"] for e in again["data"]["notifications"]["edges"]]
        assert leads_read and all(read is None for read in leads_read), again


async def test_bad_documents_get_clean_errors(server: str, actors: Actors) -> None:
    async with socket(server, bearer(actors.clerk_a)) as ws:
        await acknowledged(ws)
        documents = {
            "unknown": "subscription { taskEvents { nope } }",
            "mutation": "mutation { markNotificationsRead(input: {all: true}) { __typename } }",
            "bad id": 'subscription { taskEvents(lastEventId: "x") { kind } }',
            "too deep": "subscription { taskEvents { lead { "
            + "campaign { leads { edges { node { " * 8
            + "id"
            + " } } } }" * 8
            + " } } }",
        }
        outcomes: dict[str, list[str | None]] = {}
        for op, query in documents.items():
            await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": query}}))
            message = await next_message(ws)
            while message["type"] == "complete":  # of the one before (a `next` with errors)
                message = await next_message(ws)
            assert message["id"] == op and message["type"] in ("error", "next")
            text = json.dumps(message)
            assert "Traceback" not in text and "File " not in text
            errors = (
                message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            )
            assert errors and all(error["message"] for error in errors), message
            outcomes[op] = [error.get("extensions", {}).get("code") for error in errors]
        assert outcomes["bad id"] == ["BAD_USER_INPUT"]
        assert outcomes["mutation"] == ["BAD_REQUEST"]  # "mutations are not allowed"
        assert outcomes["too deep"] and outcomes["unknown"]
        # The connection survives them all.
        await ws.send(json.dumps({"id": "ok", "type": "subscribe", "payload": {"query": COUNTS}}))
        await nothing_arrives(ws)
        # A syntax error ends the connection: the protocol's 4400, with the parser's message.
        syntax = {"id": "syntax", "type": "subscribe", "payload": {"query": "subscription {"}}
        await ws.send(json.dumps(syntax))
        with pytest.raises(ConnectionClosed) as closed:
            await next_message(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
        assert closed.value.rcvd.reason.startswith("Syntax Error")


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    event = ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: ") or line == "data:":
            data = line[len("data:") :].strip()
            yield event, json.loads(data) if data else None


async def test_server_sent_events_deliver_the_same(
    server: str, client: httpx.AsyncClient, actors: Actors
) -> None:
    (lead,) = await campaign_with_leads(client, actors.manager, 1)
    headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {actors.clerk_a.token}"}
    before = hub_subscriptions()
    async with (
        httpx.AsyncClient(base_url=f"http://{server}") as http,
        http.stream("POST", "/graphql", json={"query": TASK_EVENTS}, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
        await until_hub_holds(before + 1)
        await assign(client, actors.manager, [lead], actors.clerk_a)
        kind, body = await asyncio.wait_for(anext(events), 1.0)
        assert kind == "next"
        assert body["data"]["taskEvents"]["kind"] == "ASSIGNED"


async def test_server_sent_events_refuse_cleanly(server: str, actors: Actors) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}") as http:
        anonymous = await http.post(
            "/graphql", json={"query": TASK_EVENTS}, headers={"Accept": "text/event-stream"}
        )
        assert anonymous.status_code == 401
        headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {actors.clerk_a.token}"}
        async with http.stream(
            "POST", "/graphql", json={"query": "subscription { nope }"}, headers=headers
        ) as response:
            received = [item async for item in sse_events(response)]
        assert [kind for kind, _ in received] == ["next", "complete"]
        assert received[0][1]["errors"] and "data" not in received[0][1]
