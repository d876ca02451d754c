"""Who may see and do what, through /graphql: clerks see their own leads (lists are filtered,
direct fetches of others' objects are FORBIDDEN) and, of the users, only the active clerks and
themselves; managers and admins see everything, read-only tokens may only look, partners see
only the leads they submitted and may only add leads (more in test_partners.py), and no token
means UNAUTHENTICATED."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from leadflow.db.enums import Role
from tests.databases import DatabaseState, DatabaseTemplate, build_state
from tests.helpers import (
    Actor,
    Actors,
    data_of,
    error_codes,
    gql,
    make_actor,
    mutate_ok,
    mutation_text,
    snapshot,
)

# --- helpers -----------------------------------------------------------------------------------


async def denied(
    client,
    actor: Actor | None,
    manager: Actor,
    name: str,
    input: dict[str, Any],
    selection: str,
    code: str = "FORBIDDEN",
) -> str:
    """A mutation refused with a top-level error that changes nothing; returns its message."""
    before = await snapshot(client, manager)
    body = await gql(client, mutation_text(name, selection), {"input": input}, actor=actor)
    assert body.get("data") is None, body
    assert error_codes(body) == [code]
    # Without a login the request is refused before it runs (no path); otherwise by the field.
    assert body["errors"][0].get("path") == (None if actor is None else [name])
    assert await snapshot(client, manager) == before
    return body["errors"][0]["message"]


async def query_error(
    client, actor: Actor | None, query: str, variables: dict[str, Any] | None = None
) -> list[str]:
    """A query refused with top-level errors and no data; returns their codes."""
    body = await gql(client, query, variables, actor=actor)
    # No data: null, or (when refused before execution) no entry at all.
    assert body.get("data") is None, body
    return error_codes(body)


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


@dataclass
class World:
    """Leads of two clerks and opportunities with every kind of visibility."""

    campaign: str
    a_active: dict  # clerk A's open lead
    a_won: dict  # clerk A's lead, closed successfully
    b_active: dict  # clerk B's open lead
    b_won: dict  # clerk B's lead, closed successfully
    new: dict  # nobody's lead yet
    handed_over: str  # from A's lead, handed over to B
    b_own: str  # from B's lead, owned by B
    a_free: str  # owned by A, from no lead (for the new lead's contact)


async def build_world(client, actors: Actors) -> World:
    manager, clerk_a, clerk_b = actors.manager, actors.clerk_a, actors.clerk_b
    payload = await mutate_ok(
        client, manager, "createCampaign", {"name": "Access"}, "campaign { id }"
    )
    campaign = payload["campaign"]["id"]
    rows = [
        {"firstName": "Anton", "lastName": name, "company": f"{name} AG", "email": f"{name}@x.de"}
        for name in ("Alpha", "Apex", "Bravo", "Bingo", "Novum")
    ]
    payload = await mutate_ok(
        client,
        manager,
        "createLeads",
        {"campaignId": campaign, "leads": rows},
        "leads { id contact { id } }",
    )
    a_active, a_won, b_active, b_won, new = payload["leads"]
    for leads, clerk in (([a_active, a_won], clerk_a), ([b_active, b_won], clerk_b)):
        await mutate_ok(
            client,
            manager,
            "assignLeads",
            {"leadIds": [lead["id"] for lead in leads], "assigneeId": clerk.gid},
            "leads { id }",
        )
    opportunities = []
    for clerk, lead in ((clerk_a, a_won), (clerk_b, b_won)):
        payload = await mutate_ok(
            client,
            clerk,
            "closeLead",
            {"leadId": lead["id"], "outcome": "SUCCESSFUL"},
            "opportunity { id }",
        )
        opportunities.append(payload["opportunity"]["id"])
    handed_over, b_own = opportunities
    await mutate_ok(
        client,
        clerk_a,
        "handOverOpportunity",
        {"opportunityId": handed_over, "ownerId": clerk_b.gid},
        "opportunity { id }",
    )
    payload = await mutate_ok(
        client,
        manager,
        "createOpportunity",
        {"contactId": new["contact"]["id"], "title": "Free", "ownerId": clerk_a.gid},
        "opportunity { id }",
    )
    return World(
        campaign=campaign,
        a_active=a_active,
        a_won=a_won,
        b_active=b_active,
        b_won=b_won,
        new=new,
        handed_over=handed_over,
        b_own=b_own,
        a_free=payload["opportunity"]["id"],
    )


@pytest_asyncio.fixture(scope="module")
async def built_world(database_template: DatabaseTemplate, tmp_path_factory):
    """The world, made once per module and backend; each test starts from a copy of it."""
    return await build_state(database_template, tmp_path_factory.mktemp("access"), build_world)


@pytest.fixture
def database_state(request, built_world) -> DatabaseState | None:
    # Only the tests that use the world start from it; the others have the test users alone.
    return built_world[0] if "world" in request.fixturenames else None


@pytest.fixture
def world(built_world) -> World:
    return built_world[1]


LEADS_QUERY = """query($filter: LeadFilter) {
  leads(filter: $filter) { totalCount edges { node { id } } } }"""

OPPORTUNITIES_QUERY = """query($filter: OpportunityFilter) {
  opportunities(filter: $filter) { totalCount edges { node { id } } } }"""


async def visible_leads(client, actor: Actor, **filter: Any) -> list[str]:
    page = data_of(await gql(client, LEADS_QUERY, {"filter": filter}, actor=actor))["leads"]
    assert page["totalCount"] == len(page["edges"])
    return ids(page)


async def visible_opportunities(client, actor: Actor) -> list[str]:
    page = data_of(await gql(client, OPPORTUNITIES_QUERY, actor=actor))["opportunities"]
    assert page["totalCount"] == len(page["edges"])
    return ids(page)


# --- clerks and leads ----------------------------------------------------------------------------


async def test_clerk_lists_only_their_own_leads(client, actors: Actors, world: World):
    clerk_a, clerk_b = actors.clerk_a, actors.clerk_b
    a_leads = [world.a_won["id"], world.a_active["id"]]
    b_leads = [world.b_won["id"], world.b_active["id"]]

    assert await visible_leads(client, clerk_a) == a_leads
    assert await visible_leads(client, clerk_b) == b_leads
    # Search, status and campaign filters stay within the clerk's own leads.
    assert await visible_leads(client, clerk_b, search="Alpha") == []
    assert await visible_leads(client, clerk_b, search="Anton") == b_leads
    assert await visible_leads(client, clerk_a, search="alpha") == [world.a_active["id"]]
    assert await visible_leads(client, clerk_b, status="NEW") == []
    assert await visible_leads(client, clerk_b, campaignId=world.campaign) == b_leads
    assert await visible_leads(client, clerk_b, assigneeId=clerk_b.gid) == b_leads
    # A clerk's overview counts and campaign figures cover their own leads only.
    body = await gql(client, "{ leadCounts { new active done } }", actor=clerk_b)
    assert data_of(body)["leadCounts"] == {"new": 0, "active": 1, "done": 1}
    body = await gql(
        client,
        """query($id: ID!) { campaign(id: $id) {
          stats { total new active done successful unsuccessful conversionRate }
          leads { totalCount edges { node { id } } } } }""",
        {"id": world.campaign},
        actor=clerk_b,
    )
    campaign = data_of(body)["campaign"]
    assert campaign["stats"] == {
        "total": 2,
        "new": 0,
        "active": 1,
        "done": 1,
        "successful": 1,
        "unsuccessful": 0,
        "conversionRate": 1.0,
    }
    assert ids(campaign["leads"]) == b_leads
    assert campaign["leads"]["totalCount"] == 2
    # The task list is the clerk's own.
    body = await gql(client, "{ myTasks { edges { node { id } } } }", actor=clerk_b)
    assert ids(data_of(body)["myTasks"]) == [world.b_active["id"]]


async def test_clerk_cannot_fetch_another_clerks_lead(client, actors: Actors, world: World):
    clerk_b = actors.clerk_b
    for lead in (world.a_active, world.a_won, world.new):
        query = "query($id: ID!) { lead(id: $id) { id contact { lastName } } }"
        assert await query_error(client, clerk_b, query, {"id": lead["id"]}) == ["FORBIDDEN"]
        query = "query($id: ID!) { node(id: $id) { id } }"
        assert await query_error(client, clerk_b, query, {"id": lead["id"]}) == ["FORBIDDEN"]
    # The contacts of those leads (except the one whose opportunity clerk B took over).
    for lead in (world.a_active, world.new):
        query = "query($id: ID!) { contact(id: $id) { id lastName email } }"
        assert await query_error(client, clerk_b, query, {"id": lead["contact"]["id"]}) == [
            "FORBIDDEN"
        ]
        query = "query($id: ID!) { node(id: $id) { id } }"
        assert await query_error(client, clerk_b, query, {"id": lead["contact"]["id"]}) == [
            "FORBIDDEN"
        ]
    # Listing another clerk's leads on purpose is an error, not an empty list.
    body = await gql(
        client, LEADS_QUERY, {"filter": {"assigneeId": actors.clerk_a.gid}}, actor=clerk_b
    )
    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql(
        client,
        "query($f: LeadFilter) { leadCounts(filter: $f) { new } }",
        {"f": {"assigneeId": actors.clerk_a.gid}},
        actor=clerk_b,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    # The owner still gets them.
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { id contact { lastName } } }",
        {"id": world.a_active["id"]},
        actor=actors.clerk_a,
    )
    assert data_of(body)["lead"] == {"id": world.a_active["id"], "contact": {"lastName": "Alpha"}}


async def test_clerk_may_not_manage(client, actors: Actors, world: World):
    manager, clerk_a = actors.manager, actors.clerk_a
    message = await denied(
        client, clerk_a, manager, "createCampaign", {"name": "Mine"}, "campaign { id }"
    )
    assert "managers" in message
    # createLeads, assignLeads and reassignLead (a colleague's lead to oneself, one's own to a
    # colleague) are refused to clerks in test_authorization_matrix.py.


async def test_clerk_cannot_work_on_another_clerks_lead(client, actors: Actors, world: World):
    manager, clerk_b = actors.manager, actors.clerk_b
    lead = world.a_active
    message = await denied(
        client,
        clerk_b,
        manager,
        "recordFeedback",
        {"leadId": lead["id"], "channel": "PHONE", "note": "Hijacked"},
        "feedback { id }",
    )
    assert "someone else" in message
    # Closing it unsuccessfully is refused in test_authorization_matrix.py; successfully too.
    await denied(
        client,
        clerk_b,
        manager,
        "closeLead",
        {"leadId": lead["id"], "outcome": "SUCCESSFUL"},
        "lead { id }",
    )
    # Nor on a lead nobody has yet.
    await denied(
        client,
        clerk_b,
        manager,
        "recordFeedback",
        {"leadId": world.new["id"], "channel": "PHONE", "note": "Early bird"},
        "feedback { id }",
    )
    # Nor create an opportunity for another clerk's lead (for its contact: the matrix).
    await denied(
        client,
        clerk_b,
        manager,
        "createOpportunity",
        {"contactId": world.b_active["contact"]["id"], "title": "x", "leadId": lead["id"]},
        "opportunity { id }",
    )
    # Nor hand over an opportunity they do not own.
    await denied(
        client,
        clerk_b,
        manager,
        "handOverOpportunity",
        {"opportunityId": world.a_free, "ownerId": clerk_b.gid},
        "opportunity { id }",
    )
    # The lead is unchanged and still clerk A's to work on.
    payload = await mutate_ok(
        client,
        actors.clerk_a,
        "recordFeedback",
        {"leadId": lead["id"], "channel": "EMAIL", "note": "Mine"},
        "lead { status feedback { note } }",
    )
    assert payload["lead"] == {"status": "ACTIVE", "feedback": [{"note": "Mine"}]}


# --- opportunities -------------------------------------------------------------------------------


async def test_clerk_sees_own_opportunities_and_those_from_own_leads(
    client, actors: Actors, world: World
):
    clerk_a, clerk_b = actors.clerk_a, actors.clerk_b
    # A: the one A owns without a lead, and the one from A's lead that B owns now.
    assert await visible_opportunities(client, clerk_a) == [world.a_free, world.handed_over]
    # B: the one B took over and the one from B's own lead.
    assert await visible_opportunities(client, clerk_b) == [world.b_own, world.handed_over]
    body = await gql(
        client,
        OPPORTUNITIES_QUERY,
        {"filter": {"ownerId": clerk_b.gid}},
        actor=clerk_b,
    )
    assert ids(data_of(body)["opportunities"]) == [world.b_own, world.handed_over]

    for actor, hidden in ((clerk_a, world.b_own), (clerk_b, world.a_free)):
        for field in ("opportunity", "node"):
            query = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"
            assert await query_error(client, actor, query, {"id": hidden}) == ["FORBIDDEN"]
    body = await gql(
        client, OPPORTUNITIES_QUERY, {"filter": {"ownerId": clerk_b.gid}}, actor=clerk_a
    )
    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]

    # Both may fetch the handed-over one directly.
    query = "query($id: ID!) { opportunity(id: $id) { id owner { id } contact { lastName } } }"
    for actor in (clerk_a, clerk_b):
        body = await gql(client, query, {"id": world.handed_over}, actor=actor)
        assert data_of(body)["opportunity"] == {
            "id": world.handed_over,
            "owner": {"id": clerk_b.gid},
            "contact": {"lastName": "Apex"},
        }
    # Its new owner sees its contact, but not clerk A's lead it came from.
    body = await gql(
        client,
        "query($id: ID!) { contact(id: $id) { lastName } }",
        {"id": world.a_won["contact"]["id"]},
        actor=clerk_b,
    )
    assert data_of(body)["contact"] == {"lastName": "Apex"}
    body = await gql(
        client,
        "query($id: ID!) { opportunity(id: $id) { id lead { id history { kind } } } }",
        {"id": world.handed_over},
        actor=clerk_b,
    )
    assert body["data"] == {"opportunity": {"id": world.handed_over, "lead": None}}
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["opportunity", "lead"]
    body = await gql(
        client,
        "query($id: ID!) { opportunity(id: $id) { lead { id } } }",
        {"id": world.handed_over},
        actor=clerk_a,
    )
    assert data_of(body)["opportunity"] == {"lead": {"id": world.a_won["id"]}}
    # The lead's own opportunity link stays visible to clerk A.
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { opportunity { id owner { id } } } }",
        {"id": world.a_won["id"]},
        actor=clerk_a,
    )
    assert data_of(body)["lead"]["opportunity"] == {
        "id": world.handed_over,
        "owner": {"id": clerk_b.gid},
    }


async def test_a_clerk_without_anything_sees_nothing(client, actors: Actors, world: World):
    clerk_c = await make_actor("clerk.c@test.example", "Carl Clerk", Role.CLERK)
    assert await visible_leads(client, clerk_c) == []
    assert await visible_opportunities(client, clerk_c) == []
    body = await gql(
        client, "{ leadCounts { new active done } myTasks { totalCount } }", actor=clerk_c
    )
    assert data_of(body) == {
        "leadCounts": {"new": 0, "active": 0, "done": 0},
        "myTasks": {"totalCount": 0},
    }
    # Campaigns and the colleagues to hand over to are no secret, the campaign's leads are.
    body = await gql(
        client,
        """query($id: ID!) { campaign(id: $id) { name stats { total }
          leads { totalCount } } users(role: CLERK) { name } }""",
        {"id": world.campaign},
        actor=clerk_c,
    )
    assert data_of(body) == {
        "campaign": {"name": "Access", "stats": {"total": 0}, "leads": {"totalCount": 0}},
        "users": [{"name": "Bruno Clerk"}, {"name": "Carl Clerk"}, {"name": "Clara Clerk"}],
    }


# --- users ---------------------------------------------------------------------------------------

USERS_QUERY = """query($role: Role) { users(role: $role) { id name role active } }"""
USER_NODE = """query($id: ID!) { node(id: $id) { id ... on User { name role active } } }"""


async def user_names(client, actor: Actor, role: str | None = None) -> list[str]:
    body = await gql(client, USERS_QUERY, {"role": role}, actor=actor)
    return [user["name"] for user in data_of(body)["users"]]


async def test_clerks_see_only_active_clerks_and_themselves(client, actors: Actors):
    clerk_a = actors.clerk_a
    body = await gql(client, USERS_QUERY, actor=clerk_a)
    assert data_of(body)["users"] == [
        {"id": actors.clerk_b.gid, "name": "Bruno Clerk", "role": "CLERK", "active": True},
        {"id": clerk_a.gid, "name": "Clara Clerk", "role": "CLERK", "active": True},
    ]
    assert await user_names(client, clerk_a, "CLERK") == ["Bruno Clerk", "Clara Clerk"]
    for role in ("MANAGER", "ADMIN", "PARTNER"):
        assert await user_names(client, clerk_a, role) == [], role
    # Managers, admins, partners and deactivated clerks by ID: FORBIDDEN, not their details.
    for hidden in (
        actors.manager,
        actors.admin,
        actors.partner,
        actors.inactive_clerk,
    ):
        body = await gql(client, USER_NODE, {"id": hidden.gid}, actor=clerk_a)
        assert body["data"] is None, body
        assert error_codes(body) == ["FORBIDDEN"], hidden.user.email
        assert hidden.user.name not in str(body)
    # An active colleague, and the clerk itself, by ID.
    for visible, name in ((actors.clerk_b, "Bruno Clerk"), (clerk_a, "Clara Clerk")):
        body = await gql(client, USER_NODE, {"id": visible.gid}, actor=clerk_a)
        assert data_of(body)["node"] == {
            "id": visible.gid,
            "name": name,
            "role": "CLERK",
            "active": True,
        }


async def test_a_deactivated_clerk_disappears_from_the_clerks_view(client, actors: Actors):
    clerk_a, clerk_b = actors.clerk_a, actors.clerk_b
    body = await gql(client, USER_NODE, {"id": clerk_b.gid}, actor=clerk_a)
    assert data_of(body)["node"]["name"] == "Bruno Clerk"
    body = await gql(
        client,
        """mutation($input: DeactivateUserInput!) { deactivateUser(input: $input) {
          user { active } userErrors { code } } }""",
        {"input": {"userId": clerk_b.gid}},
        actor=actors.admin,
    )
    assert data_of(body)["deactivateUser"] == {"user": {"active": False}, "userErrors": []}
    assert await user_names(client, clerk_a) == ["Clara Clerk"]
    assert await query_error(client, clerk_a, USER_NODE, {"id": clerk_b.gid}) == ["FORBIDDEN"]
    # Managers still see it, deactivated.
    body = await gql(client, USER_NODE, {"id": clerk_b.gid}, actor=actors.manager)
    assert data_of(body)["node"]["active"] is False


@pytest.mark.parametrize("who", ["manager", "admin", "read_only_manager"])
async def test_managers_and_admins_see_all_users(client, actors: Actors, who: str):
    actor: Actor = getattr(actors, who)
    everyone = [
        "Ada Admin",
        "Bruno Clerk",
        "Clara Clerk",
        "Gerd Gone",
        "Max Manager",
        "Mona Manager",
        "Paul Partner",
    ]
    assert await user_names(client, actor) == everyone
    assert await user_names(client, actor, "CLERK") == ["Bruno Clerk", "Clara Clerk", "Gerd Gone"]
    assert await user_names(client, actor, "PARTNER") == ["Paul Partner"]
    for other in (actors.admin, actors.partner, actors.inactive_clerk, actors.manager2):
        body = await gql(client, USER_NODE, {"id": other.gid}, actor=actor)
        node = data_of(body)["node"]
        assert (node["id"], node["name"]) == (other.gid, other.user.name)
    body = await gql(client, USER_NODE, {"id": actors.inactive_clerk.gid}, actor=actor)
    assert data_of(body)["node"]["active"] is False


# --- managers and admins -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "manager2", "admin"])
async def test_managers_see_everything(client, actors: Actors, who: str, world: World):
    actor: Actor = getattr(actors, who)
    all_leads = [
        world.new["id"],
        world.b_won["id"],
        world.b_active["id"],
        world.a_won["id"],
        world.a_active["id"],
    ]
    assert await visible_leads(client, actor) == all_leads
    assert await visible_leads(client, actor, assigneeId=actors.clerk_a.gid) == [
        world.a_won["id"],
        world.a_active["id"],
    ]
    assert await visible_opportunities(client, actor) == [
        world.a_free,
        world.b_own,
        world.handed_over,
    ]
    body = await gql(client, "{ leadCounts { new active done } }", actor=actor)
    assert data_of(body)["leadCounts"] == {"new": 1, "active": 2, "done": 2}
    for node_id in (
        world.a_active["id"],
        world.b_active["contact"]["id"],
        world.a_free,
        world.handed_over,
    ):
        body = await gql(
            client, "query($id: ID!) { node(id: $id) { id } }", {"id": node_id}, actor=actor
        )
        assert data_of(body)["node"] == {"id": node_id}
    body = await gql(
        client,
        "query($id: ID!) { opportunity(id: $id) { lead { id } } }",
        {"id": world.handed_over},
        actor=actor,
    )
    assert data_of(body)["opportunity"] == {"lead": {"id": world.a_won["id"]}}
    # A manager may also work on any clerk's lead.
    payload = await mutate_ok(
        client,
        actor,
        "recordFeedback",
        {"leadId": world.a_active["id"], "channel": "MEETING", "note": "Met at the fair"},
        "feedback { author { id } } lead { assignee { id } }",
    )
    assert payload["feedback"] == {"author": {"id": actor.gid}}
    assert payload["lead"] == {"assignee": {"id": actors.clerk_a.gid}}
    payload = await mutate_ok(
        client,
        actor,
        "closeLead",
        {"leadId": world.b_active["id"], "outcome": "UNSUCCESSFUL", "reason": "OTHER"},
        "lead { status closedBy { id } }",
    )
    assert payload["lead"] == {"status": "DONE", "closedBy": {"id": actor.gid}}


# --- tokens and roles ----------------------------------------------------------------------------


async def test_read_only_token_may_query_but_not_mutate(client, actors: Actors, world: World):
    manager, read_only = actors.manager, actors.read_only_manager
    body = await gql(client, "{ viewer { id role } leads { totalCount } }", actor=read_only)
    assert data_of(body) == {
        "viewer": {"id": manager.gid, "role": "MANAGER"},
        "leads": {"totalCount": 5},
    }
    # Each of these would succeed with the manager's normal token.
    mutations = [
        ("createCampaign", {"name": "Read only"}, "campaign { id }"),
        (
            "createLeads",
            {"campaignId": world.campaign, "leads": [{"lastName": "Ro", "phone": "1"}]},
            "leads { id }",
        ),
        (
            "assignLeads",
            {"leadIds": [world.new["id"]], "assigneeId": actors.clerk_a.gid},
            "leads { id }",
        ),
        (
            "reassignLead",
            {"leadId": world.a_active["id"], "assigneeId": actors.clerk_b.gid},
            "lead { id }",
        ),
        (
            "recordFeedback",
            {"leadId": world.a_active["id"], "channel": "PHONE", "note": "Read only"},
            "feedback { id }",
        ),
        (
            "closeLead",
            {"leadId": world.a_active["id"], "outcome": "SUCCESSFUL"},
            "lead { id }",
        ),
        (
            "createOpportunity",
            {
                "contactId": world.new["contact"]["id"],
                "title": "Read only",
                "ownerId": actors.clerk_a.gid,
            },
            "opportunity { id }",
        ),
        (
            "handOverOpportunity",
            {"opportunityId": world.a_free, "ownerId": actors.clerk_b.gid},
            "opportunity { id }",
        ),
    ]
    for name, input, selection in mutations:
        message = await denied(client, read_only, manager, name, input, selection)
        assert "read-only" in message
    # The same request with the normal token works.
    await mutate_ok(client, manager, "createCampaign", {"name": "Read only"}, "campaign { id }")


async def test_unauthenticated_requests_are_refused(client, actors: Actors, world: World):
    manager = actors.manager
    # Every query and mutation without a token: test_authorization_matrix.py ("anonymous").
    # Refused before anything runs (no path), and nothing changes:
    await denied(
        client,
        None,
        manager,
        "createCampaign",
        {"name": "Anon"},
        "campaign { id }",
        "UNAUTHENTICATED",
    )
    await denied(
        client,
        None,
        manager,
        "recordFeedback",
        {"leadId": world.a_active["id"], "channel": "PHONE", "note": "Anon"},
        "feedback { id }",
        "UNAUTHENTICATED",
    )
    # Wrong or unknown credentials are the same as none.
    for header in (
        f"Basic {manager.token}",
        "Bearer",
        "Bearer lf_unknown",
        f"Bearer {manager.token}x",
        f"Bearer {actors.inactive_clerk.token}",  # a deactivated user's token
    ):
        response = await client.post(
            "/graphql", json={"query": "{ viewer { id } }"}, headers={"Authorization": header}
        )
        body = response.json()
        assert body.get("data") is None
        assert error_codes(body) == ["UNAUTHENTICATED"], header


async def test_partner_sees_only_its_own_leads_and_may_only_add_leads(
    client, actors: Actors, world: World
):
    manager, partner = actors.manager, actors.partner
    body = await gql(client, "{ viewer { name role } }", actor=partner)
    assert data_of(body)["viewer"] == {"name": "Paul Partner", "role": "PARTNER"}
    # Lead lists are the leads it submitted: none yet; no campaign is linked to it yet.
    body = await gql(
        client,
        "{ leads { totalCount } leadCounts { new active done } campaigns { totalCount } }",
        actor=partner,
    )
    assert data_of(body) == {
        "leads": {"totalCount": 0},
        "leadCounts": {"new": 0, "active": 0, "done": 0},
        "campaigns": {"totalCount": 0},
    }
    # myTasks, opportunities, users, and fetching by ID what is not its own (a lead, an unlinked
    # campaign, a contact, an opportunity) are refused in test_authorization_matrix.py.
    # Not linked to the campaign: no intake.
    await denied(
        client,
        partner,
        manager,
        "createLeads",
        {"campaignId": world.campaign, "leads": [{"lastName": "Partner", "phone": "1"}]},
        "leads { id }",
    )
    # No other mutation, whatever the input: refused as a whole before anything runs.
    for name, input, selection in (
        (
            "createOpportunity",
            {
                "contactId": world.new["contact"]["id"],
                "title": "Deal",
                "ownerId": actors.clerk_a.gid,
            },
            "opportunity { id }",
        ),
        ("closeLead", {"leadId": world.a_active["id"], "outcome": "SUCCESSFUL"}, "lead { id }"),
        (
            "assignLeads",
            {"leadIds": [world.new["id"]], "assigneeId": actors.clerk_a.gid},
            "leads { id }",
        ),
        (
            "recordFeedback",
            {"leadId": world.a_active["id"], "channel": "PHONE", "note": "Partner"},
            "feedback { id }",
        ),
        ("createCampaign", {"name": "Partner campaign"}, "campaign { id }"),
    ):
        before = await snapshot(client, manager)
        body = await gql(client, mutation_text(name, selection), {"input": input}, actor=partner)
        assert body.get("data") is None, body
        assert error_codes(body) == ["FORBIDDEN"], name
        assert f"Mutation.{name}" in body["errors"][0]["message"]
        assert await snapshot(client, manager) == before

    # Once linked, it feeds the campaign and sees the lead it submitted, and only that one.
    await mutate_ok(
        client,
        actors.admin,
        "linkPartnerCampaigns",
        {"userId": partner.gid, "campaignIds": [world.campaign]},
        "campaigns { id }",
    )
    payload = await mutate_ok(
        client,
        partner,
        "createLeads",
        {"campaignId": world.campaign, "leads": [{"lastName": "Partnerlead", "phone": "1"}]},
        "leads { id status }",
    )
    submitted = payload["leads"][0]
    assert submitted["status"] == "NEW"
    assert await visible_leads(client, partner) == [submitted["id"]]
    body = await gql(
        client,
        "query($id: ID!) { campaign(id: $id) { stats { total new } leads { totalCount } } }",
        {"id": world.campaign},
        actor=partner,
    )
    assert data_of(body)["campaign"] == {
        "stats": {"total": 1, "new": 1},
        "leads": {"totalCount": 1},
    }
    # The world's other five leads stay hidden.
    for lead in (world.new, world.a_active, world.b_won):
        query = "query($id: ID!) { lead(id: $id) { id } }"
        assert await query_error(client, partner, query, {"id": lead["id"]}) == ["FORBIDDEN"]
    assert await visible_leads(client, manager) == [
        submitted["id"],
        world.new["id"],
        world.b_won["id"],
        world.b_active["id"],
        world.a_won["id"],
        world.a_active["id"],
    ]
