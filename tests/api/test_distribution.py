"""distributeLeads, updateClerkSettings and setCampaignDistribution through the real endpoint,
on both databases: the counts each strategy promises, preview equal to the result, round robin
across runs, bad input refused with nothing changed, automatic distribution at intake, and the
reason on every path."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from leadflow.api.ids import encode_id
from leadflow.db.enums import Role
from leadflow.db.models import Lead
from leadflow.services.distribution import company_today
from tests.helpers import (
    Actor,
    Actors,
    QueryCounter,
    gql,
    make_actor,
    mutate,
    mutate_ok,
    new_campaign,
    new_leads,
)

RESULT = "assignments { lead { id } assignee { id name } reason } skipped { lead { id } reason }"


async def four_clerks(client, actors: Actors) -> list[Actor]:
    """Clerk A (capacity 30), B (no limit), C (capacity 10), D (absent today)."""
    c = await make_actor("c@test.example", "Cora Clerk", Role.CLERK)
    d = await make_actor("d@test.example", "Dora Away", Role.CLERK)
    manager = actors.manager
    for clerk, capacity in ((actors.clerk_a, 30), (c, 10)):
        await mutate_ok(
            client, manager, "updateClerkSettings", {"userId": clerk.gid, "capacity": capacity}
        )
    today = company_today()
    absent = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=2))}
    await mutate_ok(client, d, "updateClerkSettings", {"userId": d.gid, "absences": [absent]})
    return [actors.clerk_a, actors.clerk_b, c, d]


async def campaign_with_leads(client, manager: Actor, name: str, count: int) -> tuple[str, list]:
    campaign = await new_campaign(client, manager, name)
    leads = await new_leads(client, manager, campaign, [f"{name}{i}" for i in range(count)])
    return campaign, [lead["id"] for lead in leads]


async def distribute(client, actor: Actor, **input: Any) -> dict[str, Any]:
    return await mutate(client, actor, "distributeLeads", input, RESULT)


def per_clerk(payload: dict[str, Any]) -> Counter[str]:
    return Counter(a["assignee"]["id"] for a in payload["assignments"])


async def test_least_loaded_respects_capacity_and_absence_and_preview_equals_result(
    client, actors: Actors
):
    a, b, c, d = await four_clerks(client, actors)
    campaign, ids = await campaign_with_leads(client, actors.manager, "Messe", 100)
    clerk_ids = [x.gid for x in (a, b, c, d)]
    preview = await distribute(
        client, actors.manager, filter={"campaignId": campaign}, clerkIds=clerk_ids, preview=True
    )
    assert preview["userErrors"] == []
    assert await Lead.filter(assignee_id=None).count() == 100  # nothing written
    real = await distribute(
        client, actors.manager, filter={"campaignId": campaign}, clerkIds=clerk_ids
    )
    assert real == preview
    assert per_clerk(real) == {a.gid: 30, b.gid: 60, c.gid: 10}
    assert real["skipped"] == []
    first = real["assignments"][0]
    assert first[
        "reason"
    ] == f"{first['assignee']['name']}: 0 von 30 offen, am wenigsten ausgelastet" or (
        first["reason"].endswith(": 0 offen, am wenigsten ausgelastet")
        or first["reason"].endswith("0 von 10 offen, am wenigsten ausgelastet")
    )
    # Each lead says why, and the counts are real.
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { status assignee { id } assignmentReason } }",
        {"id": ids[-1]},
        actor=actors.manager,
    )
    lead = body["data"]["lead"]
    last = real["assignments"][-1]
    assert (lead["assignee"]["id"], lead["assignmentReason"]) == (
        last["assignee"]["id"],
        last["reason"],
    )
    # A second run finds nothing NEW; the leads are skipped with who has them.
    again = await distribute(client, actors.manager, leadIds=ids[:2], clerkIds=clerk_ids)
    assert again["assignments"] == []
    assert [s["reason"].startswith("nicht mehr neu: inzwischen ") for s in again["skipped"]] == [
        True,
        True,
    ]


async def test_round_robin_continues_across_runs_and_skips_the_absent(client, actors: Actors):
    a, b, c, d = await four_clerks(client, actors)
    _, ids = await campaign_with_leads(client, actors.manager, "Webinar", 15)
    clerk_ids = [x.gid for x in (d, c, b, a)]  # the order given does not matter
    first = await distribute(
        client, actors.manager, leadIds=ids[:10], clerkIds=clerk_ids, strategy="ROUND_ROBIN"
    )
    second = await distribute(
        client, actors.manager, leadIds=ids[10:], clerkIds=clerk_ids, strategy="ROUND_ROBIN"
    )
    order = [x["assignee"]["id"] for x in first["assignments"] + second["assignments"]]
    by_id = sorted([a, b, c], key=lambda x: x.user.id)
    assert order == [by_id[i % 3].gid for i in range(15)]
    assert second["assignments"][0]["reason"] == (
        f"{by_id[1].user.name}: reihum (nach {by_id[0].user.name})"
    )


async def test_nobody_available_leaves_leads_new(client, actors: Actors):
    a, _, _, d = await four_clerks(client, actors)
    await mutate_ok(client, actors.manager, "updateClerkSettings", {"userId": a.gid, "capacity": 0})
    _, ids = await campaign_with_leads(client, actors.manager, "Voll", 2)
    payload = await distribute(client, actors.manager, leadIds=ids, clerkIds=[a.gid, d.gid])
    assert payload["assignments"] == []
    assert {s["reason"] for s in payload["skipped"]} == {
        "alle gewählten Bearbeiter sind abwesend oder voll"
    }
    assert await Lead.filter(assignee_id=None).count() == 2


async def test_bad_input_is_refused_and_changes_nothing(client, actors: Actors):
    campaign, ids = await campaign_with_leads(client, actors.manager, "Bad", 3)
    clerk = actors.clerk_a.gid
    cases = [
        ({"leadIds": ids, "filter": {"campaignId": campaign}, "clerkIds": [clerk]}, "leadIds"),
        ({"clerkIds": [clerk]}, "leadIds"),
        ({"leadIds": [], "clerkIds": [clerk]}, "leadIds"),
        ({"leadIds": ids, "clerkIds": []}, "clerkIds"),
        ({"leadIds": ids, "clerkIds": [actors.inactive_clerk.gid]}, "clerkIds"),
        ({"leadIds": ids, "clerkIds": [actors.manager.gid]}, "clerkIds"),
        ({"leadIds": ids, "clerkIds": [clerk, "VXNlcjo5OTk5OTk="]}, "clerkIds"),
    ]
    for input, field in cases:
        payload = await distribute(client, actors.manager, **input)
        assert payload["assignments"] == [] and payload["skipped"] == []
        assert payload["userErrors"], input
        assert payload["userErrors"][0]["field"][0] == field, payload
    too_many = [encode_id("Lead", i) for i in range(1, 1002)]
    payload = await distribute(client, actors.manager, leadIds=too_many, clerkIds=[clerk])
    assert payload["userErrors"]
    assert await Lead.filter(assignee_id=None).count() == 3


async def test_clerks_may_not_distribute(client, actors: Actors):
    _, ids = await campaign_with_leads(client, actors.manager, "Nein", 1)
    body = await gql(
        client,
        "mutation($input: DistributeLeadsInput!) { distributeLeads(input: $input) "
        "{ assignments { reason } } }",
        {"input": {"leadIds": ids, "clerkIds": [actors.clerk_a.gid]}},
        actor=actors.clerk_a,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_automatic_distribution_at_intake(client, actors: Actors):
    campaign = await new_campaign(client, actors.manager, "Auto")
    clerks = [actors.clerk_a.gid, actors.clerk_b.gid]
    payload = await mutate_ok(
        client,
        actors.manager,
        "setCampaignDistribution",
        {"campaignId": campaign, "clerkIds": clerks, "strategy": "ROUND_ROBIN", "automatic": True},
        "campaign { distribution { strategy automatic clerks { id } } }",
    )
    assert payload["campaign"]["distribution"] == {
        "strategy": "ROUND_ROBIN",
        "automatic": True,
        "clerks": [{"id": gid} for gid in clerks],
    }
    leads = await new_leads(
        client,
        actors.manager,
        campaign,
        ["Auto1", "Auto2", "Auto3"],
        "leads { id status assignee { id } assignmentReason }",
    )
    assert [lead["status"] for lead in leads] == ["ACTIVE"] * 3
    assert Counter(lead["assignee"]["id"] for lead in leads) == Counter(
        {clerks[0]: 2, clerks[1]: 1}
    ) or Counter(lead["assignee"]["id"] for lead in leads) == Counter({clerks[0]: 1, clerks[1]: 2})
    assert all(lead["assignmentReason"].startswith("automatisch: ") for lead in leads)
    # The rule assigned them, not the manager who created them.
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { history { kind actor { id } } } }",
        {"id": leads[0]["id"]},
        actor=actors.manager,
    )
    history = body["data"]["lead"]["history"]
    assert [e for e in history if e["kind"] == "ASSIGNED"] == [{"kind": "ASSIGNED", "actor": None}]


async def test_assignment_reason_on_manual_paths(client, actors: Actors):
    _, ids = await campaign_with_leads(client, actors.manager, "Hand", 1)
    query = "query($id: ID!) { lead(id: $id) { assignmentReason } }"

    async def reason() -> str | None:
        body = await gql(client, query, {"id": ids[0]}, actor=actors.manager)
        return body["data"]["lead"]["assignmentReason"]

    assert await reason() is None
    await mutate_ok(
        client, actors.manager, "assignLeads", {"leadIds": ids, "assigneeId": actors.clerk_a.gid}
    )
    assert await reason() == "manuell zugewiesen"
    await mutate_ok(
        client, actors.manager, "reassignLead", {"leadId": ids[0], "assigneeId": actors.clerk_b.gid}
    )
    assert await reason() == f"übertragen von {actors.clerk_a.user.name}"
    # Partners never read it: it names clerks.
    body = await gql(client, query, {"id": ids[0]}, actor=actors.partner)
    assert body["errors"]


async def test_clerk_settings_rules(client, actors: Actors):
    a, b, manager = actors.clerk_a, actors.clerk_b, actors.manager
    today = company_today()
    week = {"from": str(today), "to": str(today + timedelta(days=6))}
    payload = await mutate_ok(
        client,
        manager,
        "updateClerkSettings",
        {"userId": a.gid, "capacity": 20, "absences": [week]},
        "user { capacity absences { from to } }",
    )
    assert payload["user"] == {"capacity": 20, "absences": [week]}
    # Omitted stays, explicit null clears.
    payload = await mutate_ok(
        client,
        manager,
        "updateClerkSettings",
        {"userId": a.gid},
        "user { capacity absences { from } }",
    )
    assert payload["user"]["capacity"] == 20 and len(payload["user"]["absences"]) == 1
    payload = await mutate_ok(
        client,
        manager,
        "updateClerkSettings",
        {"userId": a.gid, "capacity": None},
        "user { capacity }",
    )
    assert payload["user"]["capacity"] is None
    # A clerk: own absences yes, capacity or someone else's no.
    await mutate_ok(client, a, "updateClerkSettings", {"userId": a.gid, "absences": []})
    for input in ({"userId": a.gid, "capacity": 5}, {"userId": b.gid, "absences": []}):
        body = await gql(
            client,
            "mutation($input: UpdateClerkSettingsInput!) { updateClerkSettings(input: $input) "
            "{ user { id } } }",
            {"input": input},
            actor=a,
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Bad values.
    for input in (
        {"userId": a.gid, "capacity": -1},
        {"userId": a.gid, "capacity": 100001},
        {"userId": a.gid, "absences": [{"from": str(today), "to": str(today - timedelta(1))}]},
        {"userId": a.gid, "absences": [{"from": "1900-01-01", "to": "1900-01-02"}]},
        {"userId": a.gid, "absences": [week] * 51},
        {"userId": manager.gid, "capacity": 3},
    ):
        payload = await mutate(client, manager, "updateClerkSettings", input)
        assert payload["userErrors"], input
    # Absences are the clerk's and the managers' business.
    body = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on User { capacity absences { from } } } }",
        {"id": a.gid},
        actor=b,
    )
    assert body["data"]["node"]["absences"] == []


async def test_automatic_distribution_of_a_partners_leads(client, actors: Actors):
    campaign = await new_campaign(client, actors.manager, "Partnerkanal")
    await mutate_ok(
        client,
        actors.admin,
        "linkPartnerCampaigns",
        {"userId": actors.partner.gid, "campaignIds": [campaign]},
    )
    await mutate_ok(
        client,
        actors.manager,
        "setCampaignDistribution",
        {"campaignId": campaign, "clerkIds": [actors.clerk_b.gid], "automatic": True},
    )
    leads = await new_leads(
        client, actors.partner, campaign, ["Partner1", "Partner2"], "leads { id status }"
    )
    assert [lead["status"] for lead in leads] == ["ACTIVE", "ACTIVE"]
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { assignee { id } assignmentReason } }",
        {"id": leads[0]["id"]},
        actor=actors.manager,
    )
    assert body["data"]["lead"]["assignee"]["id"] == actors.clerk_b.gid
    assert body["data"]["lead"]["assignmentReason"] == (
        f"automatisch: {actors.clerk_b.user.name}: 0 offen, am wenigsten ausgelastet"
    )
    # Turning it off: new leads stay NEW; the settings read back for managers only.
    await mutate_ok(
        client,
        actors.manager,
        "setCampaignDistribution",
        {"campaignId": campaign, "clerkIds": [actors.clerk_b.gid], "automatic": False},
    )
    later = await new_leads(client, actors.partner, campaign, ["Partner3"], "leads { status }")
    assert later == [{"status": "NEW"}]
    body = await gql(
        client,
        "query($id: ID!) { campaign(id: $id) { distribution { automatic } } }",
        {"id": campaign},
        actor=actors.clerk_a,
    )
    assert body["data"]["campaign"]["distribution"] is None


async def test_two_managers_distributing_the_same_filter_at_once(client, actors: Actors):
    """Two real concurrent requests (PostgreSQL: two connections) over the same NEW leads:
    every lead is assigned exactly once; what one took, the other skipped with a reason."""
    campaign, ids = await campaign_with_leads(client, actors.manager, "Zugleich", 40)
    clerks = [actors.clerk_a.gid, actors.clerk_b.gid]
    first, second = await asyncio.gather(
        distribute(client, actors.manager, filter={"campaignId": campaign}, clerkIds=clerks),
        distribute(
            client,
            actors.manager2,
            filter={"campaignId": campaign, "status": "NEW"},
            clerkIds=clerks,
            strategy="ROUND_ROBIN",
        ),
    )
    assert first["userErrors"] == [] and second["userErrors"] == []
    assigned = [a["lead"]["id"] for a in first["assignments"] + second["assignments"]]
    assert sorted(assigned) == sorted(ids)
    skipped = first["skipped"] + second["skipped"]
    assert all(s["reason"].startswith("nicht mehr neu: inzwischen ") for s in skipped)
    assert await Lead.filter(assignee_id=None).count() == 0


async def test_the_clerk_list_with_loads_and_absences_costs_the_same_for_more_clerks(
    client, actors: Actors
):
    query = "{ users(role: CLERK) { id capacity openLeadCount absences { from to } } }"

    async def statements() -> int:
        with QueryCounter() as counter:
            body = await gql(client, query, actor=actors.manager)
        assert "errors" not in body, body
        return counter.count

    few = await statements()
    await four_clerks(client, actors)
    assert await statements() == few
