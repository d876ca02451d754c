"""Idempotent retries (issue 16): a mutation sent again with the same `Idempotency-Key` runs
at most once, per user; its first response is replayed. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tortoise import connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow import clock
from leadflow.api.ids import encode_id
from leadflow.app import create_app
from leadflow.db.enums import Role
from leadflow.db.models import Feedback, IdempotencyKey, Lead, Opportunity
from leadflow.jobs import BackgroundWork
from leadflow.services import idempotency
from leadflow.settings import Settings
from tests.db_proxy import DatabaseProxy
from tests.helpers import (
    Actor,
    Actors,
    QueryCounter,
    lead_row,
    make_actor,
    mutate_ok,
    mutation_text,
    new_campaign,
    new_leads,
    pk,
)

pytestmark = pytest.mark.asyncio

FEEDBACK = mutation_text("recordFeedback", "feedback { id note } lead { id status }")
CREATE = mutation_text("createLeads", "leads { id contact { lastName } }")
ASSIGN = mutation_text("assignLeads", "leads { id status assignee { id } }")
CLOSE = mutation_text("closeLead", "lead { id status } opportunity { id }")


async def post(
    client: httpx.AsyncClient,
    actor: Actor,
    query: str,
    variables: dict[str, Any] | None = None,
    key: str | bytes | None = "key-1",
    **headers: str,
) -> httpx.Response:
    sent: dict[str, str | bytes] = {"Authorization": f"Bearer {actor.token}", **headers}
    if key is not None:
        sent["Idempotency-Key"] = key
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
    )


async def active_leads(client: httpx.AsyncClient, actors: Actors, count: int = 1) -> list[str]:
    """`count` leads assigned to clerk A (ACTIVE)."""
    campaign = await new_campaign(client, actors.manager, "Idempotenz")
    leads = await new_leads(client, actors.manager, campaign, [f"Name{i}" for i in range(count)])
    ids = [lead["id"] for lead in leads]
    await mutate_ok(
        client, actors.manager, "assignLeads", {"leadIds": ids, "assigneeId": actors.clerk_a.gid}
    )
    return ids


def feedback_input(lead_id: str, note: str = "Rückruf am Montag") -> dict[str, Any]:
    return {"input": {"leadId": lead_id, "channel": "PHONE", "note": note}}


async def test_a_retried_feedback_is_stored_once_and_answered_alike(client, actors):
    [lead_id] = await active_leads(client, actors)
    first = await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id))
    again = await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id))
    assert first.status_code == again.status_code == 200
    assert first.json()["data"]["recordFeedback"]["userErrors"] == []
    assert again.content == first.content
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert await Feedback.all().count() == 1
    row = await IdempotencyKey.get(key="key-1")
    assert (row.user_id, row.status) == (actors.clerk_a.user.id, 200)
    assert json.loads(row.response) == first.json()


async def test_without_a_key_a_retry_stores_twice(client, actors):
    # The behaviour the key exists for (and that this test module's assertions would miss).
    [lead_id] = await active_leads(client, actors)
    for _ in range(2):
        await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id), key=None)
    assert await Feedback.all().count() == 2
    assert await IdempotencyKey.all().count() == 0


async def test_create_assign_and_close_run_once(client, actors):
    campaign = await new_campaign(client, actors.manager, "Idempotenz")
    create = {"input": {"campaignId": campaign, "leads": [lead_row("Ahrens")]}}
    created = [await post(client, actors.manager, CREATE, create, key="c") for _ in range(2)]
    assert created[0].json()["data"]["createLeads"]["userErrors"] == [], created[0].text
    assert created[1].content == created[0].content
    assert await Lead.all().count() == 1
    lead_id = created[0].json()["data"]["createLeads"]["leads"][0]["id"]

    assign = {"input": {"leadIds": [lead_id], "assigneeId": actors.clerk_a.gid}}
    assigned = [await post(client, actors.manager, ASSIGN, assign, key="a") for _ in range(2)]
    # Run twice, the second would be refused: the lead is no longer NEW.
    assert assigned[0].json()["data"]["assignLeads"]["userErrors"] == []
    assert assigned[1].content == assigned[0].content

    close = {"input": {"leadId": lead_id, "outcome": "SUCCESSFUL"}}
    closed = [await post(client, actors.clerk_a, CLOSE, close, key="z") for _ in range(2)]
    assert closed[0].json()["data"]["closeLead"]["userErrors"] == []
    assert closed[1].content == closed[0].content
    assert closed[1].headers["idempotent-replayed"] == "true"
    assert await Opportunity.all().count() == 1


async def test_user_errors_are_stored_and_replayed(client, actors):
    [lead_id] = await active_leads(client, actors)
    close = {"input": {"leadId": lead_id, "outcome": "UNSUCCESSFUL"}}  # no reason: refused
    first = await post(client, actors.clerk_a, CLOSE, close)
    assert first.json()["data"]["closeLead"]["userErrors"][0]["code"] == "REQUIRED"
    again = await post(client, actors.clerk_a, CLOSE, close)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"


async def test_the_same_key_for_another_request_is_refused(client, actors):
    [lead_id] = await active_leads(client, actors)
    await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id, "erste"))
    other = await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id, "zweite"))
    assert other.status_code == 422
    [error] = other.json()["errors"]
    assert error["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "different request" in error["message"]
    assert await Feedback.all().values_list("note", flat=True) == ["erste"]


async def test_two_users_keys_never_meet(client, actors):
    [lead_a] = await active_leads(client, actors)
    [lead_b] = await new_leads(
        client, actors.manager, await new_campaign(client, actors.manager, "B"), ["Berg"]
    )
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead_b["id"]], "assigneeId": actors.clerk_b.gid},
    )
    a = await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_a), key="same")
    b = await post(client, actors.clerk_b, FEEDBACK, feedback_input(lead_b["id"]), key="same")
    assert a.status_code == b.status_code == 200
    assert "idempotent-replayed" not in b.headers
    assert await Feedback.all().count() == 2


async def test_concurrent_requests_with_one_key_write_once(app, actors):
    """Separate clients at once (on PostgreSQL separate connections: the second INSERT of the
    key waits for the first transaction, then replays its response)."""
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as setup,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as first,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as second,
    ):
        [lead_id] = await active_leads(setup, actors)
        variables = feedback_input(lead_id)
        responses = await asyncio.gather(
            *(post(c, actors.clerk_a, FEEDBACK, variables, key="race") for c in [first, second])
        )
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].content == responses[1].content
    assert sorted(r.headers.get("idempotent-replayed", "") for r in responses) == ["", "true"]
    assert await Feedback.all().count() == 1


FAIL_ON_NOTE = {
    "sqlite": [
        "CREATE TRIGGER h7_fail BEFORE INSERT ON feedback WHEN NEW.note = 'fail' "
        "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
    ],
    "postgres": [
        "CREATE FUNCTION h7_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.note = 'fail' THEN RAISE EXCEPTION 'the disk is full'; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER h7_fail BEFORE INSERT ON feedback FOR EACH ROW EXECUTE FUNCTION h7_fail()",
    ],
}
UNDO_FAIL = {
    "sqlite": ["DROP TRIGGER h7_fail"],
    "postgres": ["DROP TRIGGER h7_fail ON feedback", "DROP FUNCTION h7_fail()"],
}
TWO_FEEDBACKS = """
mutation($lead: ID!, $second: String!) {
  first: recordFeedback(input: {leadId: $lead, channel: PHONE, note: "ok"}) { feedback { id } }
  second: recordFeedback(input: {leadId: $lead, channel: EMAIL, note: $second}) {
    feedback { id }
  }
}
"""


async def test_a_failure_after_a_write_rolls_back_the_write_and_the_key(client, actors, backend):
    [lead_id] = await active_leads(client, actors)
    connection = connections.get("default")
    for statement in FAIL_ON_NOTE[backend]:
        await connection.execute_script(statement)
    variables = {"lead": lead_id, "second": "fail"}

    failed = await post(client, actors.clerk_a, TWO_FEEDBACKS, variables)
    assert failed.status_code == 500, failed.text
    [error] = failed.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "Nothing was changed" in error["message"]
    assert "data" not in failed.json()
    # The first mutation's feedback went with the second's failure, and the key with them.
    assert await Feedback.all().count() == 0
    assert await IdempotencyKey.all().count() == 0

    # Without a key the first mutation's write stays although the request failed.
    await post(client, actors.clerk_a, TWO_FEEDBACKS, variables, key=None)
    assert await Feedback.all().values_list("note", flat=True) == ["ok"]
    await Feedback.all().delete()

    for statement in UNDO_FAIL[backend]:
        await connection.execute_script(statement)
    retried = await post(client, actors.clerk_a, TWO_FEEDBACKS, variables)
    assert retried.status_code == 200
    assert sorted(await Feedback.all().values_list("note", flat=True)) == ["fail", "ok"]
    assert (await IdempotencyKey.get(key="key-1")).status == 200


async def test_expired_keys_are_pruned_and_run_anew(client, actors):
    [lead_id] = await active_leads(client, actors)
    await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id))
    later = clock.now() + timedelta(hours=idempotency.KEEP_HOURS, minutes=1)
    with clock.frozen_at(later):
        # Expired but not pruned yet: the request runs again.
        again = await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id))
        assert "idempotent-replayed" not in again.headers
        assert await Feedback.all().count() == 2
        assert await idempotency.prune() == 0  # the renewed row is young
    with clock.frozen_at(later + timedelta(hours=idempotency.KEEP_HOURS, minutes=1)):
        assert await idempotency.prune() == 1
    assert await IdempotencyKey.all().count() == 0


@pytest.mark.parametrize(
    "key",
    ["", " ", "x" * 201, "schlüssel".encode(), "tab\tkey"],
    ids=["empty", "blank", "long", "umlaut", "tab"],
)
async def test_malformed_keys_are_refused(client, actors, key):
    [lead_id] = await active_leads(client, actors)
    response = await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id), key=key)
    assert response.status_code == 400
    # Empty and blank too: not taken for "no key" (the mutation would run without its safety).
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "Idempotency-Key header must be 1 to 200 printable ASCII" in response.text
    assert await Feedback.all().count() == 0


async def test_a_query_ignores_the_key_and_a_stream_refuses_it(client, actors):
    response = await post(client, actors.clerk_a, "{ viewer { id } }")
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["id"] == actors.clerk_a.gid
    assert await IdempotencyKey.all().count() == 0
    stream = await post(client, actors.clerk_a, "{ viewer { id } }", accept="text/event-stream")
    assert stream.status_code == 400
    assert "Idempotency-Key header is for mutations" in stream.text


async def test_an_erasure_blanks_the_person_in_stored_responses(client, actors):
    campaign = await new_campaign(client, actors.manager, "Idempotenz")
    rows = [lead_row("Quandt"), lead_row("Ahrens")]
    create = {"input": {"campaignId": campaign, "leads": rows}}
    created = await post(client, actors.manager, CREATE, create, key="c")
    quandt = created.json()["data"]["createLeads"]["leads"][0]
    contact_id = (await Lead.get(id=pk(quandt["id"])).values("contact_id"))["contact_id"]
    await mutate_ok(
        client,
        actors.admin,
        "eraseContact",
        {"contactId": encode_id("Contact", contact_id), "reason": "Anfrage per Brief"},
    )
    stored = (await IdempotencyKey.get(key="c")).response
    assert "Quandt" not in stored
    assert "Ahrens" in stored
    replayed = await post(client, actors.manager, CREATE, create, key="c")
    assert replayed.headers["idempotent-replayed"] == "true"
    leads = replayed.json()["data"]["createLeads"]["leads"]
    assert [lead["id"] for lead in leads] == [
        lead["id"] for lead in created.json()["data"]["createLeads"]["leads"]
    ]
    assert [lead["contact"]["lastName"] for lead in leads] == ["[gelöscht]", "Ahrens"]


async def test_the_housekeeping_prunes_old_keys(app, actors):
    old = clock.now() - timedelta(hours=idempotency.KEEP_HOURS + 1)
    await IdempotencyKey.create(
        user_id=actors.clerk_a.user.id, key="old", request_digest="0" * 64, created_at=old
    )
    await IdempotencyKey.create(
        user_id=actors.clerk_a.user.id, key="young", request_digest="0" * 64, created_at=clock.now()
    )
    quick = Settings(
        prune_interval_seconds=0.05,
        import_watchdog_seconds=0,
        reminder_interval_seconds=0,
        webhook_poll_seconds=0,
    )
    async with BackgroundWork(quick).running():
        for _ in range(200):  # a bound on the wait, not a timing
            if not await IdempotencyKey.filter(key="old").exists():
                break
            await asyncio.sleep(0.05)
    assert await IdempotencyKey.all().values_list("key", flat=True) == ["young"]


async def test_a_request_that_never_ran_stores_nothing(client, actors):
    [lead_id] = await active_leads(client, actors)
    invalid = FEEDBACK.replace("note }", "note noSuchField }")
    refused = await post(client, actors.clerk_a, invalid, feedback_input(lead_id))
    assert refused.json()["errors"][0]["message"].startswith("Cannot query field 'noSuchField'")
    assert await IdempotencyKey.all().count() == 0
    # The key is still free for the corrected request.
    response = await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id))
    assert response.json()["data"]["recordFeedback"]["userErrors"] == []
    assert await Feedback.all().count() == 1


class CommitLosingProxy(DatabaseProxy):
    """Lets the app's COMMIT reach PostgreSQL, then cuts every connection: the transaction
    commits, the app never hears so (issue 16's "committed although the client saw an
    error")."""

    def __init__(self, database_url: str) -> None:
        super().__init__(database_url)
        self.armed = False
        self.deaf = False

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, from_app: bool
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if self.deaf and not from_app:
                    continue  # the server's answers are lost
                writer.write(chunk)
                await writer.drain()
                if from_app and self.armed and b"COMMIT" in chunk:
                    self.armed, self.deaf = False, True
                    await asyncio.sleep(0.3)  # the server commits meanwhile
                    await self.cut()
                    self.deaf = False
                    return
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()


async def test_a_commit_whose_answer_was_lost_is_replayed_not_repeated(backend, database_url):
    if backend != "postgres":
        pytest.skip("PostgreSQL behind a proxy that loses the COMMIT's answer")
    proxy = CommitLosingProxy(database_url)
    await proxy.start()
    EXECUTOR_CACHE.clear()
    # No background job commits anything meanwhile: the COMMIT seen is the mutation's.
    quiet = Settings(
        database_url=proxy.url,
        request_timeout_seconds=10,
        prune_interval_seconds=0,
        import_watchdog_seconds=0,
        reminder_interval_seconds=0,
        webhook_poll_seconds=0,
    )
    app = create_app(quiet)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client,
        ):
            manager = await make_actor("manager@test.example", "Mona Manager", Role.MANAGER)
            clerk = await make_actor("clerk@test.example", "Clara Clerk", Role.CLERK)
            campaign = await new_campaign(client, manager, "Neustart")
            [lead] = await new_leads(client, manager, campaign, ["Ahrens"])
            await mutate_ok(
                client, manager, "assignLeads", {"leadIds": [lead["id"]], "assigneeId": clerk.gid}
            )
            # Without a key: the client sees 503, the feedback is stored all the same.
            proxy.armed = True
            unkeyed = await post(client, clerk, FEEDBACK, feedback_input(lead["id"]), key=None)
            assert unkeyed.status_code == 503, unkeyed.text
            await proxy.restore()
            assert await Feedback.all().count() == 1

            proxy.armed = True
            lost = await post(client, clerk, FEEDBACK, feedback_input(lead["id"]))
            assert lost.status_code == 503, lost.text
            assert lost.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
            await proxy.restore()
            assert await Feedback.all().count() == 2  # committed, as above
            retried = await post(client, clerk, FEEDBACK, feedback_input(lead["id"]))
            assert retried.status_code == 200, retried.text
            assert retried.headers["idempotent-replayed"] == "true"
            assert retried.json()["data"]["recordFeedback"]["userErrors"] == []
            assert await Feedback.all().count() == 2
    finally:
        await proxy.close()


async def test_a_key_costs_three_statements_and_a_replay_one(client, actors):
    """The key's own statements: the read before the transaction, the claim's INSERT and the
    response's UPDATE; a replay reads the key and nothing else (beside the token lookup)."""
    [lead_a, lead_b] = await active_leads(client, actors, 2)
    await post(client, actors.clerk_a, "{ viewer { id } }", key=None)  # the token, looked up
    with QueryCounter() as plain:
        await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_a), key=None)
    with QueryCounter() as keyed:
        await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_b))
    with QueryCounter() as replay:
        replayed = await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_b))
    assert replayed.headers["idempotent-replayed"] == "true"
    assert keyed.count == plain.count + 3, keyed.statements
    assert [s for s in replay.statements if "idempotency_keys" in s] == replay.statements[-1:]
    assert replay.count <= 2, replay.statements


# --- credentials' rights, refusals, the heavy lane (review fixes) ------------------------------


async def test_a_read_only_tokens_refusal_is_not_replayed_to_the_full_token(client, actors):
    campaign = await new_campaign(client, actors.manager, "Idem")
    create = {"input": {"campaignId": campaign, "leads": [lead_row("Ahrens")]}}
    refused = await post(client, actors.read_only_manager, CREATE, create, key="k")
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await IdempotencyKey.all().count() == 0
    # The same user's full token, same key: the mutation runs (read-only tokens run none).
    created = await post(client, actors.manager, CREATE, create, key="k")
    assert "idempotent-replayed" not in created.headers
    assert created.json()["data"]["createLeads"]["userErrors"] == []
    assert await Lead.all().count() == 1


async def test_a_full_tokens_answer_is_not_replayed_to_the_read_only_token(client, actors):
    campaign = await new_campaign(client, actors.manager, "Idem")
    create = {"input": {"campaignId": campaign, "leads": [lead_row("Ahrens")]}}
    created = await post(client, actors.manager, CREATE, create, key="k")
    assert created.json()["data"]["createLeads"]["userErrors"] == []
    again = await post(client, actors.read_only_manager, CREATE, create, key="k")
    assert "idempotent-replayed" not in again.headers
    assert again.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert again.json()["data"] is None
    assert await Lead.all().count() == 1


async def test_a_refusal_of_the_user_is_not_stored_its_rights_may_change(client, actors):
    create = mutation_text("createCampaign", "campaign { name }")
    variables = {"input": {"name": "Herbst"}}
    refused = await post(client, actors.clerk_a, create, variables, key="k")
    assert refused.status_code == 200
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await IdempotencyKey.all().count() == 0
    actors.clerk_a.user.role = Role.MANAGER
    await actors.clerk_a.user.save(update_fields=["role"])
    created = await post(client, actors.clerk_a, create, variables, key="k")
    assert "idempotent-replayed" not in created.headers
    assert created.json()["data"]["createCampaign"]["campaign"] == {"name": "Herbst"}
    replayed = await post(client, actors.clerk_a, create, variables, key="k")
    assert replayed.headers["idempotent-replayed"] == "true"


async def test_a_refusal_that_voids_the_whole_answer_rolls_back_the_other_mutation(client, actors):
    [lead_id] = await active_leads(client, actors)
    both = (
        "mutation($lead: ID!) {"
        ' f: recordFeedback(input: {leadId: $lead, channel: PHONE, note: "ok"}) { feedback { id } }'
        ' c: createCampaign(input: {name: "Nein"}) { campaign { id } } }'
    )
    first = await post(client, actors.clerk_a, both, {"lead": lead_id}, key="both")
    # createCampaign's payload is non-null: the refusal voids `data`, the feedback's id too.
    assert first.json()["data"] is None
    assert first.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Feedback.all().count() == 0
    assert await IdempotencyKey.all().count() == 0
    alone = await post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id), key="both")
    assert "idempotent-replayed" not in alone.headers
    assert alone.json()["data"]["recordFeedback"]["userErrors"] == []
    assert await Feedback.all().count() == 1


async def test_a_rolled_back_answer_is_503_when_the_database_failed_beside_a_bug():
    from graphql import GraphQLError
    from strawberry.types import ExecutionResult

    from leadflow.web.idempotency import rolled_back

    bug = GraphQLError("Boom.", extensions={"code": "INTERNAL_SERVER_ERROR"})
    away = GraphQLError("Away.", extensions={"code": "UNAVAILABLE"})
    for errors in ([bug, away], [away, bug]):
        status, body, headers = rolled_back(ExecutionResult(data=None, errors=errors))
        assert status == 503 and headers == {"Retry-After": "1"}
        assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    status, body, headers = rolled_back(ExecutionResult(data=None, errors=[bug]))
    assert status == 500 and headers == {}


SEARCHING_MUTATION = (
    'mutation { createCampaign(input: {name: "Lane"}) { campaign { '
    'leads(filter: {search: "ab"}) { totalCount } } userErrors { code } } }'
)


def heavy_lane_of(app: Any) -> Any:
    """The app's heavy lane (api/limits.HeavyLane), through its /graphql endpoint."""
    for route in app.routes:
        endpoint = getattr(getattr(route, "endpoint", None), "__self__", None)
        schema = getattr(endpoint, "_schema", None)
        if schema is not None:
            return schema.heavy_lane
    raise AssertionError("no /graphql endpoint")


@pytest.mark.parametrize("key", ["lane", None])
async def test_a_mutation_that_searches_waits_for_the_heavy_lane(app, client, actors, key):
    async with heavy_lane_of(app).taken():  # a search is running; the lane has one place
        mutation = asyncio.create_task(post(client, actors.manager, SEARCHING_MUTATION, key=key))
        await asyncio.sleep(0.3)
        assert not mutation.done()
        # Nothing of it ran yet (a keyed one has not opened its transaction either).
        assert await IdempotencyKey.all().count() == 0
    response = await asyncio.wait_for(mutation, 10)
    assert response.status_code == 200, response.text
    campaign = response.json()["data"]["createCampaign"]["campaign"]
    assert campaign == {"leads": {"totalCount": 0}}


async def test_a_keyed_mutation_that_does_not_search_passes_a_full_lane(app, client, actors):
    [lead_id] = await active_leads(client, actors)
    async with heavy_lane_of(app).taken():
        response = await asyncio.wait_for(
            post(client, actors.clerk_a, FEEDBACK, feedback_input(lead_id), key="cheap"), 10
        )
    assert response.json()["data"]["recordFeedback"]["userErrors"] == []
