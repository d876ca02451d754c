"""The whole lead workflow through /graphql: campaign, intake, counts, distribution, task list,
feedback, both kinds of close, the opportunity and its hand-over, stats, history, reassignment,
node lookups, paging, filters and the clerk list."""

from __future__ import annotations

from functools import partial
from typing import Any

from leadflow.api.ids import encode_id
from tests import helpers
from tests.helpers import Actor, Actors, data_of, fragment, gql, mutate_ok, new_campaign

LEAD_FIELDS = fragment("""
fragment LeadFields on Lead {
  id status assignedAt outcome closeReason closeNote closedAt createdAt
  assignee { id name }
  closedBy { id name }
  campaign { id name }
  contact { id firstName lastName company email phone }
}
""")

OPPORTUNITY_FIELDS = fragment("""
fragment OpportunityFields on Opportunity {
  id title stage expectedValue createdAt
  owner { id name }
  contact { id lastName }
  lead { id }
  history { kind at note actor { id } owner { id } previousOwner { id } }
}
""")

HISTORY_QUERY = """
query($id: ID!) {
  lead(id: $id) {
    history {
      kind at note outcome closeReason
      actor { id } assignee { id } previousAssignee { id }
    }
  }
}
"""

STATS_QUERY = """
query($id: ID!) {
  campaign(id: $id) {
    name
    stats { total new active done successful unsuccessful conversionRate }
  }
}
"""

COUNTS_QUERY = """
query($filter: LeadFilter) { leadCounts(filter: $filter) { new active done } }
"""

LEADS_QUERY = """
query($filter: LeadFilter, $first: Int, $after: String) {
  leads(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id contact { lastName } } }
  }
}
"""


# --- helpers -----------------------------------------------------------------------------------


# Leads as the workflow reads them back (the helpers append the fragments a selection spreads).
new_leads = partial(helpers.new_leads, selection="leads { ...LeadFields }")


async def assign(client, actor: Actor, lead_ids: list[str], clerk: Actor) -> list[dict]:
    payload = await mutate_ok(
        client,
        actor,
        "assignLeads",
        {"leadIds": lead_ids, "assigneeId": clerk.gid},
        "leads { ...LeadFields }",
    )
    return payload["leads"]


async def close(client, actor: Actor, lead_id: str, **input: Any) -> dict[str, Any]:
    return await mutate_ok(
        client,
        actor,
        "closeLead",
        {"leadId": lead_id, **input},
        "lead { ...LeadFields } opportunity { ...OpportunityFields }",
    )


async def counts(client, actor: Actor, **filter: Any) -> dict[str, int]:
    return data_of(await gql(client, COUNTS_QUERY, {"filter": filter}, actor=actor))["leadCounts"]


async def history(client, actor: Actor, lead_id: str) -> list[dict[str, Any]]:
    return data_of(await gql(client, HISTORY_QUERY, {"id": lead_id}, actor=actor))["lead"][
        "history"
    ]


async def stats(client, actor: Actor, campaign_id: str) -> dict[str, Any]:
    body = await gql(client, STATS_QUERY, {"id": campaign_id}, actor=actor)
    return data_of(body)["campaign"]["stats"]


async def lead_page(client, actor: Actor, **variables: Any) -> dict[str, Any]:
    return data_of(await gql(client, LEADS_QUERY, variables, actor=actor))["leads"]


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def person(first: str, last: str, **extra: Any) -> dict[str, Any]:
    return {"firstName": first, "lastName": last, **extra}


def event(kind: str, actor: Actor | None, **extra: Any) -> dict[str, Any]:
    """The expected shape of a lead history entry (without its time)."""
    entry = {
        "kind": kind,
        "note": "",
        "outcome": None,
        "closeReason": None,
        "actor": {"id": actor.gid} if actor else None,
        "assignee": None,
        "previousAssignee": None,
    }
    entry.update(extra)
    return entry


def without_time(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in entry.items() if key != "at"} for entry in entries]


def user_ref(actor: Actor) -> dict[str, str]:
    return {"id": actor.gid}


# --- the whole workflow --------------------------------------------------------------------------


async def test_whole_workflow(client, actors: Actors):
    manager, clerk_a, clerk_b = actors.manager, actors.clerk_a, actors.clerk_b

    # A contact known from an earlier campaign.
    newsletter = await new_campaign(client, manager, "Newsletter 2024")
    [earlier] = await new_leads(
        client,
        manager,
        newsletter,
        [person("Anna", "Berg", company="Berg GmbH", email="anna.berg@example.com")],
    )

    # The manager creates the campaign.
    created = await mutate_ok(
        client,
        manager,
        "createCampaign",
        {
            "name": "  Spring Fair 2025 ",
            "description": "Visitors of our booth",
            "startsOn": "2025-03-01",
            "endsOn": "2025-05-31",
        },
        "campaign { id name description startsOn endsOn createdAt }",
    )
    campaign = created["campaign"]
    assert campaign["name"] == "Spring Fair 2025"
    assert campaign["description"] == "Visitors of our booth"
    assert (campaign["startsOn"], campaign["endsOn"]) == ("2025-03-01", "2025-05-31")
    assert campaign["createdAt"]
    fair = campaign["id"]

    # Bulk intake: five leads, one of them for the known contact (email in another case).
    rows = [
        person("Max", "Muster", company="Muster AG", email="max@muster.example"),
        person("Erika", "Beispiel", phone="+49 30 1234"),
        person("Anna", "Berg", email="ANNA.Berg@Example.COM", phone="0170 555"),
        person("Jonas", "Klein", company="Klein & Co", email="jonas@klein.example"),
        person("Lea", "Lang", email="lea@lang.example"),
    ]
    leads = await new_leads(client, manager, fair, rows)
    assert [lead["contact"]["lastName"] for lead in leads] == [
        "Muster",
        "Beispiel",
        "Berg",
        "Klein",
        "Lang",
    ]
    assert len({lead["id"] for lead in leads}) == 5
    for lead in leads:
        assert lead["status"] == "NEW"
        assert lead["assignee"] is None
        assert lead["assignedAt"] is None
        assert lead["closedAt"] is None
        assert lead["campaign"] == {"id": fair, "name": "Spring Fair 2025"}
    max_, erika, anna, jonas, _lea = leads
    assert max_["contact"]["company"] == "Muster AG"
    assert max_["contact"]["email"] == "max@muster.example"
    assert erika["contact"]["email"] is None
    assert erika["contact"]["phone"] == "+49 30 1234"
    # The known contact is reused as it is, not duplicated or overwritten.
    assert anna["contact"] == earlier["contact"]
    assert anna["contact"]["email"] == "anna.berg@example.com"
    assert anna["id"] != earlier["id"]

    # Counts per tab, for the campaign and overall; the filter's status is ignored.
    assert await counts(client, manager, campaignId=fair) == {"new": 5, "active": 0, "done": 0}
    assert await counts(client, manager) == {"new": 6, "active": 0, "done": 0}
    assert await counts(client, manager, campaignId=fair, status="DONE") == {
        "new": 5,
        "active": 0,
        "done": 0,
    }

    # Distribution of four leads to clerk A.
    assigned = await assign(
        client, manager, [max_["id"], erika["id"], anna["id"], jonas["id"]], clerk_a
    )
    assert [lead["id"] for lead in assigned] == [max_["id"], erika["id"], anna["id"], jonas["id"]]
    for lead in assigned:
        assert lead["status"] == "ACTIVE"
        assert lead["assignee"] == {"id": clerk_a.gid, "name": "Clara Clerk"}
        assert lead["assignedAt"] is not None
    assert await counts(client, manager, campaignId=fair) == {"new": 1, "active": 4, "done": 0}

    # Clerk A's task list, oldest first; clerk B has nothing to do.
    tasks_query = "{ myTasks { totalCount edges { node { id status } } } }"
    tasks = data_of(await gql(client, tasks_query, actor=clerk_a))["myTasks"]
    assert tasks["totalCount"] == 4
    assert ids(tasks) == [max_["id"], erika["id"], anna["id"], jonas["id"]]
    assert {edge["node"]["status"] for edge in tasks["edges"]} == {"ACTIVE"}
    tasks_b = data_of(await gql(client, tasks_query, actor=clerk_b))["myTasks"]
    assert tasks_b == {"totalCount": 0, "edges": []}

    # Feedback.
    feedback = await mutate_ok(
        client,
        clerk_a,
        "recordFeedback",
        {"leadId": max_["id"], "channel": "PHONE", "note": " Interested, call back Monday "},
        "feedback { channel note createdAt author { id } } "
        "lead { id status feedback { channel note author { name } } }",
    )
    assert feedback["feedback"]["channel"] == "PHONE"
    assert feedback["feedback"]["note"] == "Interested, call back Monday"
    assert feedback["feedback"]["author"] == user_ref(clerk_a)
    assert feedback["lead"]["status"] == "ACTIVE"
    assert feedback["lead"]["feedback"] == [
        {
            "channel": "PHONE",
            "note": "Interested, call back Monday",
            "author": {"name": "Clara Clerk"},
        }
    ]

    # Unsuccessful close with a reason and a note.
    lost = await close(
        client,
        clerk_a,
        erika["id"],
        outcome="UNSUCCESSFUL",
        reason="NOT_INTERESTED",
        note="Has a supplier",
    )
    assert lost["opportunity"] is None
    assert lost["lead"]["status"] == "DONE"
    assert lost["lead"]["outcome"] == "UNSUCCESSFUL"
    assert lost["lead"]["closeReason"] == "NOT_INTERESTED"
    assert lost["lead"]["closeNote"] == "Has a supplier"
    assert lost["lead"]["closedBy"] == {"id": clerk_a.gid, "name": "Clara Clerk"}
    assert lost["lead"]["closedAt"] >= lost["lead"]["createdAt"]

    # Successful close with the defaults: title from campaign and contact, owner = assignee.
    won = await close(client, clerk_a, max_["id"], outcome="SUCCESSFUL")
    assert won["lead"]["status"] == "DONE"
    assert won["lead"]["outcome"] == "SUCCESSFUL"
    assert won["lead"]["closeReason"] is None
    opportunity = won["opportunity"]
    assert opportunity["title"] == "Spring Fair 2025: Max Muster (Muster AG)"
    assert opportunity["owner"] == {"id": clerk_a.gid, "name": "Clara Clerk"}
    assert opportunity["stage"] == "OPEN"
    assert opportunity["expectedValue"] is None
    assert opportunity["contact"] == {"id": max_["contact"]["id"], "lastName": "Muster"}
    assert opportunity["lead"] == {"id": max_["id"]}
    assert opportunity["history"] == [
        {
            "kind": "CREATED",
            "at": opportunity["history"][0]["at"],
            "note": "",
            "actor": user_ref(clerk_a),
            "owner": user_ref(clerk_a),
            "previousOwner": None,
        }
    ]

    # Successful close with explicit title, value and owner.
    won_b = await close(
        client,
        clerk_a,
        anna["id"],
        outcome="SUCCESSFUL",
        opportunity={
            "title": "Berg: solar roof",
            "expectedValue": "12500.5",
            "ownerId": clerk_b.gid,
        },
    )
    explicit = won_b["opportunity"]
    assert explicit["title"] == "Berg: solar roof"
    assert explicit["expectedValue"] == "12500.50"
    assert explicit["owner"] == {"id": clerk_b.gid, "name": "Bruno Clerk"}
    assert explicit["contact"]["id"] == earlier["contact"]["id"]
    assert explicit["lead"] == {"id": anna["id"]}

    # The lead links to its opportunity.
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { opportunity { id title } } }",
        {"id": max_["id"]},
        actor=clerk_a,
    )
    assert data_of(body)["lead"]["opportunity"] == {
        "id": opportunity["id"],
        "title": "Spring Fair 2025: Max Muster (Muster AG)",
    }

    # Hand-over of the first opportunity to clerk B.
    handed = await mutate_ok(
        client,
        clerk_a,
        "handOverOpportunity",
        {"opportunityId": opportunity["id"], "ownerId": clerk_b.gid, "note": "B covers the north"},
        "opportunity { ...OpportunityFields }",
    )
    handed = handed["opportunity"]
    assert handed["owner"] == {"id": clerk_b.gid, "name": "Bruno Clerk"}
    assert handed["stage"] == "OPEN"
    assert without_time(handed["history"]) == [
        {
            "kind": "CREATED",
            "note": "",
            "actor": user_ref(clerk_a),
            "owner": user_ref(clerk_a),
            "previousOwner": None,
        },
        {
            "kind": "HANDED_OVER",
            "note": "B covers the north",
            "actor": user_ref(clerk_a),
            "owner": user_ref(clerk_b),
            "previousOwner": user_ref(clerk_a),
        },
    ]
    assert handed["history"][0]["at"] <= handed["history"][1]["at"]

    # Campaign figures: Lang is new, Klein active, three done (two won, one lost).
    assert await stats(client, manager, fair) == {
        "total": 5,
        "new": 1,
        "active": 1,
        "done": 3,
        "successful": 2,
        "unsuccessful": 1,
        "conversionRate": 0.6667,
    }
    assert await stats(client, manager, newsletter) == {
        "total": 1,
        "new": 1,
        "active": 0,
        "done": 0,
        "successful": 0,
        "unsuccessful": 0,
        "conversionRate": None,
    }
    assert await counts(client, manager, campaignId=fair) == {"new": 1, "active": 1, "done": 3}
    assert await counts(client, manager) == {"new": 2, "active": 1, "done": 3}

    # History, oldest first, with kinds and actors.
    entries = await history(client, manager, max_["id"])
    assert without_time(entries) == [
        event("CREATED", manager),
        event("ASSIGNED", manager, assignee=user_ref(clerk_a)),
        event("FEEDBACK_RECORDED", clerk_a, note="Interested, call back Monday"),
        event("CLOSED", clerk_a, outcome="SUCCESSFUL"),
        event("OPPORTUNITY_CREATED", clerk_a),
    ]
    times = [entry["at"] for entry in entries]
    assert times == sorted(times)
    assert without_time(await history(client, manager, erika["id"])) == [
        event("CREATED", manager),
        event("ASSIGNED", manager, assignee=user_ref(clerk_a)),
        event(
            "CLOSED",
            clerk_a,
            outcome="UNSUCCESSFUL",
            closeReason="NOT_INTERESTED",
            note="Has a supplier",
        ),
    ]

    # Reassignment of the still active lead from clerk A to clerk B.
    moved = await mutate_ok(
        client,
        manager,
        "reassignLead",
        {"leadId": jonas["id"], "assigneeId": clerk_b.gid},
        "lead { ...LeadFields }",
    )
    assert moved["lead"]["status"] == "ACTIVE"
    assert moved["lead"]["assignee"] == {"id": clerk_b.gid, "name": "Bruno Clerk"}
    assert moved["lead"]["assignedAt"] >= jonas["createdAt"]
    assert without_time(await history(client, manager, jonas["id"])) == [
        event("CREATED", manager),
        event("ASSIGNED", manager, assignee=user_ref(clerk_a)),
        event(
            "REASSIGNED",
            manager,
            assignee=user_ref(clerk_b),
            previousAssignee=user_ref(clerk_a),
        ),
    ]
    tasks = data_of(await gql(client, tasks_query, actor=clerk_a))["myTasks"]
    assert tasks == {"totalCount": 0, "edges": []}
    tasks_b = data_of(await gql(client, tasks_query, actor=clerk_b))["myTasks"]
    assert tasks_b == {
        "totalCount": 1,
        "edges": [{"node": {"id": jonas["id"], "status": "ACTIVE"}}],
    }

    # The clerk list shows each clerk's load.
    users = data_of(
        await gql(
            client, "{ users(role: CLERK) { id name role active openLeadCount } }", actor=manager
        )
    )["users"]
    assert users == [
        {
            "id": clerk_b.gid,
            "name": "Bruno Clerk",
            "role": "CLERK",
            "active": True,
            "openLeadCount": 1,
        },
        {
            "id": clerk_a.gid,
            "name": "Clara Clerk",
            "role": "CLERK",
            "active": True,
            "openLeadCount": 0,
        },
        {
            "id": actors.inactive_clerk.gid,
            "name": "Gerd Gone",
            "role": "CLERK",
            "active": False,
            "openLeadCount": 0,
        },
    ]


async def test_campaigns_list_with_stats(client, actors: Actors):
    manager, clerk_a = actors.manager, actors.clerk_a
    first = await new_campaign(client, manager, "Trade Show")
    second = await new_campaign(client, manager, "Webinar", description="Online")
    leads = await new_leads(
        client,
        manager,
        second,
        [
            person("A", "One", phone="1"),
            person("B", "Two", phone="2"),
            person("C", "Three", phone="3"),
        ],
    )
    await assign(client, manager, [leads[0]["id"], leads[1]["id"]], clerk_a)
    await close(client, clerk_a, leads[0]["id"], outcome="UNSUCCESSFUL", reason="UNREACHABLE")

    query = """{ campaigns { totalCount edges { node { id name description
        stats { total new active done successful unsuccessful conversionRate } } } } }"""
    campaigns = data_of(await gql(client, query, actor=manager))["campaigns"]
    assert campaigns["totalCount"] == 2
    assert [edge["node"]["id"] for edge in campaigns["edges"]] == [second, first]  # newest first
    webinar, trade_show = (edge["node"] for edge in campaigns["edges"])
    assert webinar["description"] == "Online"
    assert webinar["stats"] == {
        "total": 3,
        "new": 1,
        "active": 1,
        "done": 1,
        "successful": 0,
        "unsuccessful": 1,
        "conversionRate": 0.0,
    }
    assert trade_show["stats"]["total"] == 0
    assert trade_show["stats"]["conversionRate"] is None


# --- opportunities outside a close ---------------------------------------------------------------


async def test_create_opportunity_for_a_contact(client, actors: Actors):
    manager, clerk_a, clerk_b = actors.manager, actors.clerk_a, actors.clerk_b
    campaign = await new_campaign(client, manager, "Roadshow")
    [lead] = await new_leads(
        client, manager, campaign, [person("Max", "Muster", company="Muster AG", phone="1")]
    )
    await assign(client, manager, [lead["id"]], clerk_a)
    contact_id = lead["contact"]["id"]

    # A clerk creates one for a contact of their own lead; they own it.
    own = await mutate_ok(
        client,
        clerk_a,
        "createOpportunity",
        {"contactId": contact_id, "title": " Service contract ", "expectedValue": "99.999"},
        "opportunity { ...OpportunityFields }",
    )
    own = own["opportunity"]
    assert own["title"] == "Service contract"
    assert own["expectedValue"] == "100.00"
    assert own["owner"] == {"id": clerk_a.gid, "name": "Clara Clerk"}
    assert own["stage"] == "OPEN"
    assert own["lead"] is None
    assert own["contact"] == {"id": contact_id, "lastName": "Muster"}
    assert without_time(own["history"]) == [
        {
            "kind": "CREATED",
            "note": "",
            "actor": user_ref(clerk_a),
            "owner": user_ref(clerk_a),
            "previousOwner": None,
        }
    ]

    # A manager creates one for clerk B, linked to the lead it came from.
    linked = await mutate_ok(
        client,
        manager,
        "createOpportunity",
        {
            "contactId": contact_id,
            "title": "Second machine",
            "ownerId": clerk_b.gid,
            "leadId": lead["id"],
        },
        "opportunity { ...OpportunityFields }",
    )
    linked = linked["opportunity"]
    assert linked["owner"] == {"id": clerk_b.gid, "name": "Bruno Clerk"}
    assert linked["lead"] == {"id": lead["id"]}
    assert linked["history"][0]["actor"] == user_ref(manager)
    # The lead's history records it; the lead itself stays active.
    entries = await history(client, manager, lead["id"])
    assert [entry["kind"] for entry in entries] == ["CREATED", "ASSIGNED", "OPPORTUNITY_CREATED"]
    assert entries[-1]["actor"] == user_ref(manager)

    query = "{ opportunities { totalCount edges { node { id title owner { id } } } } }"
    listed = data_of(await gql(client, query, actor=manager))["opportunities"]
    assert listed["totalCount"] == 2
    assert [edge["node"]["id"] for edge in listed["edges"]] == [linked["id"], own["id"]]

    query = """query($filter: OpportunityFilter) {
      opportunities(filter: $filter) { totalCount edges { node { id } } } }"""
    by_owner = data_of(
        await gql(client, query, {"filter": {"ownerId": clerk_b.gid}}, actor=manager)
    )["opportunities"]
    assert by_owner == {"totalCount": 1, "edges": [{"node": {"id": linked["id"]}}]}
    by_stage = data_of(await gql(client, query, {"filter": {"stage": "WON"}}, actor=manager))[
        "opportunities"
    ]
    assert by_stage == {"totalCount": 0, "edges": []}


# --- node(id:) ----------------------------------------------------------------------------------


async def test_node_resolves_every_type(client, actors: Actors):
    manager, clerk_a = actors.manager, actors.clerk_a
    campaign = await new_campaign(client, manager, "Node Campaign")
    [lead] = await new_leads(
        client, manager, campaign, [person("Nora", "Node", email="nora@node.example")]
    )
    await assign(client, manager, [lead["id"]], clerk_a)
    won = await close(client, clerk_a, lead["id"], outcome="SUCCESSFUL")
    opportunity_id = won["opportunity"]["id"]
    contact_id = lead["contact"]["id"]

    query = """query($id: ID!) {
      node(id: $id) {
        __typename id
        ... on Lead { status contact { lastName } }
        ... on Campaign { name }
        ... on Contact { lastName email }
        ... on Opportunity { title }
        ... on User { name role }
      }
    }"""
    expected = {
        lead["id"]: {"__typename": "Lead", "status": "DONE", "contact": {"lastName": "Node"}},
        campaign: {"__typename": "Campaign", "name": "Node Campaign"},
        contact_id: {"__typename": "Contact", "lastName": "Node", "email": "nora@node.example"},
        opportunity_id: {"__typename": "Opportunity", "title": "Node Campaign: Nora Node"},
        clerk_a.gid: {"__typename": "User", "name": "Clara Clerk", "role": "CLERK"},
    }
    for node_id, fields in expected.items():
        for actor in (manager, clerk_a):
            node = data_of(await gql(client, query, {"id": node_id}, actor=actor))["node"]
            assert node == {"id": node_id, **fields}

    # The typed single fetches agree with node(id:).
    body = await gql(
        client,
        """query($c: ID!, $k: ID!, $o: ID!, $l: ID!) {
          campaign(id: $c) { id name } contact(id: $k) { id lastName }
          opportunity(id: $o) { id title } lead(id: $l) { id status } }""",
        {"c": campaign, "k": contact_id, "o": opportunity_id, "l": lead["id"]},
        actor=manager,
    )
    assert data_of(body) == {
        "campaign": {"id": campaign, "name": "Node Campaign"},
        "contact": {"id": contact_id, "lastName": "Node"},
        "opportunity": {"id": opportunity_id, "title": "Node Campaign: Nora Node"},
        "lead": {"id": lead["id"], "status": "DONE"},
    }
    # IDs are the documented opaque encoding of type and key.
    assert clerk_a.gid == encode_id("User", clerk_a.user.id)
    viewer = data_of(await gql(client, "{ viewer { id } }", actor=clerk_a))["viewer"]
    assert viewer == {"id": clerk_a.gid}


# --- paging -------------------------------------------------------------------------------------


async def test_paging_with_first_and_after(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Paging")
    created = await new_leads(
        client, manager, campaign, [person("P", f"Person{i}", phone=str(i)) for i in range(7)]
    )
    newest_first = [lead["id"] for lead in reversed(created)]

    page1 = await lead_page(client, manager, first=3)
    assert page1["totalCount"] == 7
    assert ids(page1) == newest_first[:3]
    assert page1["pageInfo"]["hasNextPage"] is True
    assert page1["pageInfo"]["hasPreviousPage"] is False
    assert page1["pageInfo"]["startCursor"] == page1["edges"][0]["cursor"]
    assert page1["pageInfo"]["endCursor"] == page1["edges"][-1]["cursor"]

    page2 = await lead_page(client, manager, first=3, after=page1["pageInfo"]["endCursor"])
    assert page2["totalCount"] == 7
    assert ids(page2) == newest_first[3:6]
    assert page2["pageInfo"]["hasNextPage"] is True
    assert page2["pageInfo"]["hasPreviousPage"] is True

    page3 = await lead_page(client, manager, first=3, after=page2["pageInfo"]["endCursor"])
    assert ids(page3) == newest_first[6:]
    assert page3["pageInfo"]["hasNextPage"] is False
    assert page3["pageInfo"]["endCursor"] == page3["edges"][0]["cursor"]

    # Paging from the middle: the cursor of any edge works.
    middle = await lead_page(client, manager, first=2, after=page1["edges"][1]["cursor"])
    assert ids(middle) == newest_first[2:4]

    # Exactly one page: no next page.
    whole = await lead_page(client, manager, first=7)
    assert ids(whole) == newest_first
    assert whole["pageInfo"]["hasNextPage"] is False

    # Default page size covers all seven; an empty result has no cursors.
    assert ids(await lead_page(client, manager)) == newest_first
    empty = await lead_page(client, manager, filter={"status": "DONE"})
    assert empty["totalCount"] == 0
    assert empty["edges"] == []
    assert empty["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }

    # The clerk's task list pages oldest first.
    await assign(client, manager, [lead["id"] for lead in created], actors.clerk_a)
    query = """query($after: String) { myTasks(first: 4, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }"""
    tasks1 = data_of(await gql(client, query, actor=actors.clerk_a))["myTasks"]
    assert tasks1["totalCount"] == 7
    assert ids(tasks1) == [lead["id"] for lead in created[:4]]
    assert tasks1["pageInfo"]["hasNextPage"] is True
    tasks2 = data_of(
        await gql(client, query, {"after": tasks1["pageInfo"]["endCursor"]}, actor=actors.clerk_a)
    )["myTasks"]
    assert ids(tasks2) == [lead["id"] for lead in created[4:]]
    assert tasks2["pageInfo"]["hasNextPage"] is False

    # Campaigns page the same way.
    for name in ("Paging 2", "Paging 3"):
        await new_campaign(client, manager, name)
    query = """query($after: String) { campaigns(first: 2, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }"""
    campaigns1 = data_of(await gql(client, query, actor=manager))["campaigns"]
    assert campaigns1["totalCount"] == 3
    assert [edge["node"]["name"] for edge in campaigns1["edges"]] == ["Paging 3", "Paging 2"]
    assert campaigns1["pageInfo"]["hasNextPage"] is True
    campaigns2 = data_of(
        await gql(client, query, {"after": campaigns1["pageInfo"]["endCursor"]}, actor=manager)
    )["campaigns"]
    assert [edge["node"]["name"] for edge in campaigns2["edges"]] == ["Paging"]
    assert campaigns2["pageInfo"]["hasNextPage"] is False


# --- the leads filter ---------------------------------------------------------------------------


async def test_leads_filter(client, actors: Actors):
    manager, clerk_a, clerk_b = actors.manager, actors.clerk_a, actors.clerk_b
    fair = await new_campaign(client, manager, "Fair")
    mailing = await new_campaign(client, manager, "Mailing")
    fair_leads = await new_leads(
        client,
        manager,
        fair,
        [
            person("Max", "Muster", company="Muster AG", email="max@muster.example"),
            person("Erika", "Mustermann", company="Acme", email="erika@acme.example"),
            person("Jonas", "Klein", company="Klein & Co", phone="123"),
        ],
    )
    mailing_leads = await new_leads(
        client,
        manager,
        mailing,
        [
            person("Lea", "Lang", company="Acme Logistics", email="lea@lang.example"),
            person("Otto", "Groß", email="otto@muster.example"),
        ],
    )
    muster, mustermann, klein = fair_leads
    lang, gross = mailing_leads
    await assign(client, manager, [muster["id"], lang["id"]], clerk_a)
    await assign(client, manager, [klein["id"]], clerk_b)
    await close(client, clerk_a, lang["id"], outcome="UNSUCCESSFUL", reason="DUPLICATE")

    async def matching(filter: dict[str, Any], actor: Actor = manager) -> list[str]:
        page = await lead_page(client, actor, filter=filter)
        assert page["totalCount"] == len(page["edges"])
        return ids(page)

    # Status.
    assert await matching({"status": "NEW"}) == [gross["id"], mustermann["id"]]
    assert await matching({"status": "ACTIVE"}) == [klein["id"], muster["id"]]
    assert await matching({"status": "DONE"}) == [lang["id"]]
    # Campaign.
    assert await matching({"campaignId": mailing}) == [gross["id"], lang["id"]]
    assert await matching({"campaignId": fair}) == [klein["id"], mustermann["id"], muster["id"]]
    # Assignee.
    assert await matching({"assigneeId": clerk_a.gid}) == [lang["id"], muster["id"]]
    assert await matching({"assigneeId": clerk_b.gid}) == [klein["id"]]
    assert await matching({"assigneeId": actors.manager2.gid}) == []
    # Search: name, company and email, case-insensitive, every word must match.
    assert await matching({"search": "muster"}) == [
        gross["id"],  # otto@muster.example
        mustermann["id"],
        muster["id"],
    ]
    assert await matching({"search": "ACME"}) == [lang["id"], mustermann["id"]]
    assert await matching({"search": "acme logistics"}) == [lang["id"]]
    assert await matching({"search": "Erika"}) == [mustermann["id"]]
    assert await matching({"search": "klein & co"}) == [klein["id"]]
    assert await matching({"search": "lea@lang.example"}) == [lang["id"]]
    everyone = [gross["id"], lang["id"], klein["id"], mustermann["id"], muster["id"]]
    assert await matching({}) == everyone
    assert await matching({"search": "  "}) == everyone
    assert await matching({"search": "nobody"}) == []
    assert await matching({"search": "%"}) == []
    assert await matching({"search": "_"}) == []
    # Conditions combine.
    assert await matching({"search": "muster", "status": "NEW"}) == [gross["id"], mustermann["id"]]
    assert await matching({"search": "muster", "campaignId": fair, "status": "NEW"}) == [
        mustermann["id"]
    ]
    assert await matching({"campaignId": fair, "assigneeId": clerk_a.gid}) == [muster["id"]]
    # A clerk may filter within their own leads.
    assert await matching({"search": "muster"}, clerk_a) == [muster["id"]]
    assert await matching({"assigneeId": clerk_a.gid, "status": "DONE"}, clerk_a) == [lang["id"]]
    # The counts take the same filter (without its status).
    assert await counts(client, manager, search="muster") == {"new": 2, "active": 1, "done": 0}
    assert await counts(client, manager, assigneeId=clerk_a.gid) == {
        "new": 0,
        "active": 1,
        "done": 1,
    }
    # A campaign's own leads take the filter too.
    body = await gql(
        client,
        """query($id: ID!) { campaign(id: $id) {
          leads(filter: {status: NEW}) { totalCount edges { node { id } } } } }""",
        {"id": fair},
        actor=manager,
    )
    assert data_of(body)["campaign"]["leads"] == {
        "totalCount": 1,
        "edges": [{"node": {"id": mustermann["id"]}}],
    }


async def test_lead_search_ignores_case_beyond_ascii(client, actors: Actors, backend: str):
    manager = actors.manager
    fair = await new_campaign(client, manager, "Fair")
    mueller, oester, solar, muller = await new_leads(
        client,
        manager,
        fair,
        [
            person(
                "Jörg",
                "Müller",
                company="Öztürk Straßenbau GmbH",
                email="jörg@müller.example",
                street="Hauptstraße 1",
                city="Großenhain",
            ),
            # No email (a NULL email_key) and no first name or company.
            person("", "Øster", phone="040 123"),
            person("Ida", "Prozent", company="100%_Solar\\Wind", phone="040 456"),
            person("Max", "Muller", email="max@muller.example"),
        ],
    )

    async def matching(search: str) -> list[str]:
        page = await lead_page(client, manager, filter={"search": search})
        assert page["totalCount"] == len(page["edges"])
        return ids(page)

    for search in ("müller", "MÜLLER", "mÜlLeR", "öztürk", "ÖZTÜRK GMBH", "jörg", "JÖRG"):
        assert await matching(search) == [mueller["id"]], search
    assert await matching("JÖRG@MÜLLER.EXAMPLE") == [mueller["id"]]
    assert await matching("STRAßENBAU") == [mueller["id"]]
    assert await matching("øster") == [oester["id"]]
    # Folding case is not dropping accents.
    assert await matching("muller") == [muller["id"]]
    # Wildcards and the escape character stay literal.
    assert await matching("m_ller") == []
    assert await matching("%ller") == []
    assert await matching("0%_s") == [solar["id"]]
    assert await matching("r\\w") == [solar["id"]]
    assert await matching("\\") == [solar["id"]]
    # Case is folded one character at a time on both databases (as PostgreSQL's libc locale
    # does): "ß" stays "ß", so "SS" is no spelling of it, on SQLite too.
    assert await matching("STRASSENBAU") == [], backend
