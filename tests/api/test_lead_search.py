"""The search over GraphQL: `leads(filter: {search})` and `myTasks(filter: {search})` find
contacts by name, email and phone fragment, with their totalCount and tab counts, and a
partner finds their own leads by email only. The rule itself: tests/services/test_lead_search.py.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import Actor, Actors, data_of, gql, mutate_ok, new_campaign, new_leads

LEADS = """
query($filter: LeadFilter) {
  leads(first: 10, filter: $filter) { totalCount edges { node { contact { %s } } } }
  leadCounts(filter: $filter) { new active done }
}
"""
TASKS = """
query($filter: TaskFilter) {
  myTasks(first: 10, filter: $filter) { totalCount edges { node { contact { lastName } } } }
}
"""
PEOPLE = [
    {"lastName": "Müller", "firstName": "Anna", "email": "anna@mueller.example",
     "phone": "+49 511 1234567"},
    {"lastName": "MÜLLER-Wald", "email": "wald@example.com", "phone": "0511 7654321"},
    {"lastName": "Schmidt", "company": "50% Rabatt", "phone": "030 555 1234"},
]  # fmt: skip


async def _search(
    client: httpx.AsyncClient, actor: Actor, search: str, shown: str = "lastName"
) -> dict[str, Any]:
    """The contacts found (by `shown`: partners read the email only), totalCount, the tabs."""
    query = LEADS % shown
    data = data_of(await gql(client, query, {"filter": {"search": search}}, actor=actor))
    names = sorted(edge["node"]["contact"][shown] for edge in data["leads"]["edges"])
    return {"names": names, "total": data["leads"]["totalCount"], "counts": data["leadCounts"]}


async def test_leads_and_tasks_found_by_name_email_and_phone(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Suche")
    created = await new_leads(client, manager, campaign, PEOPLE)
    await mutate_ok(
        client,
        manager,
        "assignLeads",
        {"leadIds": [created[0]["id"]], "assigneeId": actors.clerk_a.gid},
        "leads { id }",
    )

    found = await _search(client, manager, "müller")
    assert found == {
        "names": ["MÜLLER-Wald", "Müller"],
        "total": 2,
        "counts": {"new": 1, "active": 1, "done": 0},
    }
    assert (await _search(client, manager, "0511 123"))["names"] == ["Müller"]
    assert (await _search(client, manager, "+49 511 765"))["names"] == ["MÜLLER-Wald"]
    assert (await _search(client, manager, "mueller.ex"))["names"] == ["Müller"]
    assert (await _search(client, manager, "50%"))["names"] == ["Schmidt"]
    assert (await _search(client, manager, "0511 müller wald"))["total"] == 1
    assert (await _search(client, manager, "nobody"))["total"] == 0

    tasks = data_of(
        await gql(client, TASKS, {"filter": {"search": "(0511) 1234567"}}, actor=actors.clerk_a)
    )["myTasks"]
    assert tasks["totalCount"] == 1
    assert [edge["node"]["contact"]["lastName"] for edge in tasks["edges"]] == ["Müller"]


async def test_a_partner_finds_own_leads_by_email_only(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    campaign = await new_campaign(client, actors.manager, "Partner")
    await mutate_ok(
        client,
        actors.admin,
        "linkPartnerCampaigns",
        {"userId": actors.partner.gid, "campaignIds": [campaign]},
        "campaigns { id }",
    )
    await new_leads(client, actors.manager, campaign, PEOPLE[:1])
    await new_leads(
        client,
        actors.partner,
        campaign,
        [{"lastName": "Partnerkind", "email": "kind@partner.example", "phone": "0511 999888"}],
        "leads { id }",
    )
    partner = actors.partner
    found = await _search(client, partner, "KIND@partner", "email")
    assert found["names"] == ["kind@partner.example"] and found["total"] == 1
    for search in ("partnerkind", "0511 999", "müller", "anna@mueller"):
        assert (await _search(client, partner, search, "email"))["total"] == 0, search
