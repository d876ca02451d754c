"""Partners through /graphql: linked to campaigns by an admin (`linkPartnerCampaigns` or
`createUser(campaignIds)`), they add leads to those campaigns only, follow the processing status
of the leads they submitted (no notes, history or colleagues' details; of a contact only its
email, lower-cased) and their campaigns' figures, and get a top-level FORBIDDEN for anything
else. A partner's answers are the same for a new person and one Leadflow knows already."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from leadflow.db.models import (
    AuditEntry,
    Campaign,
    Contact,
    Feedback,
    Lead,
    LeadEvent,
    Opportunity,
    User,
)
from tests.databases import DatabaseState, DatabaseTemplate, build_state
from tests.helpers import Actor, Actors, data_of, error_codes, gql, mutate_ok, mutation_text

TABLES = (Campaign, Contact, Lead, LeadEvent, Feedback, Opportunity)


async def row_counts() -> dict[str, int]:
    return {model.__name__: await model.all().count() for model in TABLES}


def refused(body: dict[str, Any], *fields: str) -> None:
    """A top-level FORBIDDEN with nothing returned; the message names the refused fields."""
    assert body.get("data") is None, body
    assert error_codes(body) == ["FORBIDDEN"], body
    for field in fields:
        assert field in body["errors"][0]["message"], body


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


@dataclass
class World:
    partner: Actor
    other_partner: Actor  # linked to campaign A as well, with leads of its own
    fair: str  # campaign A, linked to both partners
    webinar: str  # campaign B, linked to neither
    manager_lead: dict  # a manager's lead in campaign A


async def link_by_mutation(client, actors: Actors, campaign: str) -> Actor:
    payload = await mutate_ok(
        client,
        actors.admin,
        "linkPartnerCampaigns",
        {"userId": actors.partner.gid, "campaignIds": [campaign]},
        "user { email } campaigns { id name }",
    )
    assert payload["user"] == {"email": "partner@test.example"}
    assert payload["campaigns"] == [{"id": campaign, "name": "Fair"}]
    return actors.partner


async def create_linked_partner(client, actors: Actors, email: str, campaign: str) -> Actor:
    payload = await mutate_ok(
        client,
        actors.admin,
        "createUser",
        {"email": email, "name": f"Partner {email}", "role": "PARTNER", "campaignIds": [campaign]},
        "user { id role }",
    )
    user_id = payload["user"]["id"]
    assert payload["user"]["role"] == "PARTNER"
    payload = await mutate_ok(
        client, actors.admin, "createApiToken", {"userId": user_id, "name": "playground"}, "secret"
    )
    user = await User.get(email=email)
    return Actor(user=user, token=payload["secret"])


async def build_world(client, actors: Actors, linked_by: str) -> World:
    manager = actors.manager
    campaigns = {}
    for name in ("Fair", "Webinar"):
        payload = await mutate_ok(
            client, manager, "createCampaign", {"name": name}, "campaign { id }"
        )
        campaigns[name] = payload["campaign"]["id"]
    fair = campaigns["Fair"]
    if linked_by == "linkPartnerCampaigns":
        partner = await link_by_mutation(client, actors, fair)
    else:
        partner = await create_linked_partner(client, actors, "pia@partner.example", fair)
    other = await create_linked_partner(client, actors, "otto@partner.example", fair)
    payload = await mutate_ok(
        client,
        manager,
        "createLeads",
        {
            "campaignId": fair,
            "leads": [
                {
                    "lastName": "Managerlead",
                    "email": "known@example.com",
                    "phone": "+49 30 555 0100",
                    "street": "Geheimweg 1",
                }
            ],
        },
        "leads { id contact { id } }",
    )
    await mutate_ok(
        client,
        other,
        "createLeads",
        {"campaignId": fair, "leads": [{"lastName": "Ottolead", "phone": "1"}]},
        "leads { id }",
    )
    return World(
        partner=partner,
        other_partner=other,
        fair=fair,
        webinar=campaigns["Webinar"],
        manager_lead=payload["leads"][0],
    )


@pytest_asyncio.fixture(scope="module", params=["linkPartnerCampaigns", "createUser"])
async def built_world(request, database_template: DatabaseTemplate, tmp_path_factory):
    """The world, made once per module, backend and way of linking: each test starts from a
    copy of it (tests/databases.py)."""
    directory = tmp_path_factory.mktemp("partner-world")
    return await build_state(
        database_template,
        directory,
        lambda client, actors: build_world(client, actors, request.param),
    )


@pytest_asyncio.fixture(scope="module")
async def worked_world(built_world, database_template: DatabaseTemplate, tmp_path_factory):
    """The world after the partner submitted "Lost" and "Won" and clerk A worked on both (see
    `work_on`): for the refusals, which all read the same data. Returns (state, world, ids)."""
    state, world = built_world

    async def build(client, actors: Actors) -> list[str]:
        lead_ids = await submit(client, world, "Lost", "Won")
        await work_on(client, actors, lead_ids)
        return lead_ids

    directory = tmp_path_factory.mktemp("partner-world-worked")
    worked, lead_ids = await build_state(database_template, directory, build, start=state)
    return worked, world, lead_ids


@pytest.fixture
def database_state(request, built_world) -> DatabaseState:
    if "worked_world" in request.fixturenames:
        return request.getfixturevalue("worked_world")[0]
    return built_world[0]


@pytest.fixture
def world(built_world) -> World:
    return built_world[1]


async def submit(client, world: World, *last_names: str, campaign: str | None = None) -> list[str]:
    """The partner submits one lead per name (email NAME@lead.example); returns their IDs."""
    payload = await mutate_ok(
        client,
        world.partner,
        "createLeads",
        {
            "campaignId": campaign or world.fair,
            "leads": [{"lastName": name, "email": f"{name}@lead.example"} for name in last_names],
        },
        "leads { id status contact { email } }",
    )
    # Of a contact, a partner reads only its email, lower-cased (see PRIVATE_QUERIES).
    assert [lead["contact"]["email"] for lead in payload["leads"]] == [
        f"{name.lower()}@lead.example" for name in last_names
    ]
    assert {lead["status"] for lead in payload["leads"]} == {"NEW"}
    return [lead["id"] for lead in payload["leads"]]


# --- adding leads --------------------------------------------------------------------------------


async def test_partner_adds_leads_to_its_campaign_only(client, actors: Actors, world: World):
    first = await submit(client, world, "Ahrens", "Berger")
    # Resending the same batch creates nothing new.
    assert await submit(client, world, "Ahrens", "Berger") == first
    before = await row_counts()
    body = await gql(
        client,
        mutation_text("createLeads", "leads { id }"),
        {"input": {"campaignId": world.webinar, "leads": [{"lastName": "Sneaky", "phone": "1"}]}},
        actor=world.partner,
    )
    refused(body)
    assert body["errors"][0]["path"] == ["createLeads"]
    assert await row_counts() == before
    # The manager sees the partner's leads in campaign A, and nothing in B.
    body = await gql(
        client,
        """query($a: ID!, $b: ID!) {
          a: campaign(id: $a) { leads { edges { node { id contact { lastName } } } } }
          b: campaign(id: $b) { leads { totalCount } } }""",
        {"a": world.fair, "b": world.webinar},
        actor=actors.manager,
    )
    data = data_of(body)
    assert [edge["node"]["contact"]["lastName"] for edge in data["a"]["leads"]["edges"]] == [
        "Berger",
        "Ahrens",
        "Ottolead",
        "Managerlead",
    ]
    assert data["b"] == {"leads": {"totalCount": 0}}


async def test_a_forbidden_field_in_the_payload_stops_the_intake(client, world: World):
    before = await row_counts()
    body = await gql(
        client,
        mutation_text("createLeads", "leads { id history { kind } }"),
        {"input": {"campaignId": world.fair, "leads": [{"lastName": "Early", "phone": "1"}]}},
        actor=world.partner,
    )
    refused(body, "Lead.history")
    assert await row_counts() == before


async def test_linking_more_campaigns_lets_the_partner_feed_them(
    client, actors: Actors, world: World
):
    payload = await mutate_ok(
        client,
        actors.admin,
        "linkPartnerCampaigns",
        {"userId": world.partner.gid, "campaignIds": [world.webinar, world.fair]},
        "campaigns { name }",
    )
    # Links add up; linking a campaign twice is harmless.
    assert payload["campaigns"] == [{"name": "Fair"}, {"name": "Webinar"}]
    await submit(client, world, "Weber", campaign=world.webinar)
    body = await gql(client, "{ campaigns { edges { node { name } } } }", actor=world.partner)
    names = [edge["node"]["name"] for edge in data_of(body)["campaigns"]["edges"]]
    assert sorted(names) == ["Fair", "Webinar"]
    # The other partner still has only campaign A.
    body = await gql(client, "{ campaigns { edges { node { name } } } }", actor=world.other_partner)
    assert [edge["node"]["name"] for edge in data_of(body)["campaigns"]["edges"]] == ["Fair"]


@pytest.mark.parametrize(
    "role, campaigns, code",
    [("CLERK", "fair", "INVALID"), ("PARTNER", "missing", "NOT_FOUND")],
)
async def test_create_user_with_a_refused_link_creates_nothing(
    client, actors: Actors, world: World, role: str, campaigns: str, code: str
):
    campaign_ids = [world.fair] if campaigns == "fair" else ["Q2FtcGFpZ246OTk5"]  # Campaign:999
    users_before = await User.all().count()
    audit_before = await AuditEntry.all().count()
    body = await gql(
        client,
        mutation_text("createUser", "user { id }"),
        {
            "input": {
                "email": "late@partner.example",
                "name": "Late",
                "role": role,
                "campaignIds": campaign_ids,
            }
        },
        actor=actors.admin,
    )
    payload = data_of(body)["createUser"]
    assert payload["user"] is None
    assert [error["code"] for error in payload["userErrors"]] == [code]
    assert payload["userErrors"][0]["field"] == ["campaignIds"]
    # A payload with errors changed nothing: no user, no link, no audit entry of a creation.
    assert await User.all().count() == users_before
    assert not await User.filter(email="late@partner.example").exists()
    assert await AuditEntry.all().count() == audit_before


# --- reading -------------------------------------------------------------------------------------

OWN_LEADS = """query($filter: LeadFilter) { leads(filter: $filter) { totalCount
  edges { node { id contact { email } } } } }"""


async def test_partner_sees_only_the_leads_it_submitted(client, actors: Actors, world: World):
    ahrens, berger = await submit(client, world, "Ahrens", "Berger")
    partner = world.partner
    body = await gql(client, OWN_LEADS, actor=partner)
    assert data_of(body)["leads"]["totalCount"] == 2
    assert ids(data_of(body)["leads"]) == [berger, ahrens]
    assert [edge["node"]["contact"]["email"] for edge in data_of(body)["leads"]["edges"]] == [
        "berger@lead.example",
        "ahrens@lead.example",
    ]
    for search in ("Managerlead", "known", "Ottolead"):
        body = await gql(client, OWN_LEADS, {"filter": {"search": search}}, actor=partner)
        assert data_of(body)["leads"]["totalCount"] == 0, search
    body = await gql(client, OWN_LEADS, {"filter": {"search": "ahrens"}}, actor=partner)
    assert ids(data_of(body)["leads"]) == [ahrens]
    body = await gql(
        client,
        """query($id: ID!) { campaign(id: $id) { leads { totalCount edges { node { id } } } }
          leadCounts { new active done } }""",
        {"id": world.fair},
        actor=partner,
    )
    data = data_of(body)
    assert ids(data["campaign"]["leads"]) == [berger, ahrens]
    assert data["leadCounts"] == {"new": 2, "active": 0, "done": 0}
    # A manager's and another partner's leads in the same campaign are not the partner's.
    others = [world.manager_lead["id"]]
    body = await gql(client, OWN_LEADS, actor=world.other_partner)
    others += ids(data_of(body)["leads"])
    assert len(others) == 2
    for lead in others:
        for field in ("lead", "node"):
            body = await gql(
                client,
                f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}",
                {"id": lead},
                actor=partner,
            )
            refused(body)
    # Its own leads it may fetch one by one.
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { status } node(id: $id) { ... on Lead { status } } }",
        {"id": ahrens},
        actor=partner,
    )
    assert data_of(body) == {"lead": {"status": "NEW"}, "node": {"status": "NEW"}}


async def work_on(client, actors: Actors, lead_ids: list[str]) -> None:
    """Clerk A gets the leads, notes feedback, closes the first unsuccessfully and the second
    successfully."""
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": lead_ids, "assigneeId": actors.clerk_a.gid},
        "leads { id }",
    )
    for lead in lead_ids:
        await mutate_ok(
            client,
            actors.clerk_a,
            "recordFeedback",
            {"leadId": lead, "channel": "PHONE", "note": "Secret feedback"},
            "feedback { id }",
        )
    await mutate_ok(
        client,
        actors.clerk_a,
        "closeLead",
        {
            "leadId": lead_ids[0],
            "outcome": "UNSUCCESSFUL",
            "reason": "NOT_INTERESTED",
            "note": "Secret close note",
        },
        "lead { id }",
    )
    await mutate_ok(
        client,
        actors.clerk_a,
        "closeLead",
        {"leadId": lead_ids[1], "outcome": "SUCCESSFUL", "opportunity": {"title": "Secret deal"}},
        "opportunity { id }",
    )


STATUS_QUERY = """query($id: ID!) {
  leads { edges { node {
    id status outcome closeReason assignedAt closedAt createdAt
    assignee { id name } campaign { name } contact { email }
  } } }
  campaign(id: $id) { name stats { total new active done successful unsuccessful conversionRate } }
}"""


async def test_partner_follows_the_processing_status(client, actors: Actors, world: World):
    lost, won, waiting = await submit(client, world, "Lost", "Won", "Waiting")
    await work_on(client, actors, [lost, won])
    body = await gql(client, STATUS_QUERY, {"id": world.fair}, actor=world.partner)
    data = data_of(body)
    leads = {edge["node"]["id"]: edge["node"] for edge in data["leads"]["edges"]}
    assert list(leads) == [waiting, won, lost]
    clerk = {"id": actors.clerk_a.gid, "name": "Clara Clerk"}
    assert {key: leads[lost][key] for key in ("status", "outcome", "closeReason", "assignee")} == {
        "status": "DONE",
        "outcome": "UNSUCCESSFUL",
        "closeReason": "NOT_INTERESTED",
        "assignee": clerk,
    }
    assert leads[won]["outcome"] == "SUCCESSFUL"
    assert leads[won]["assignee"] == clerk
    assert leads[waiting]["status"] == "NEW"
    assert leads[waiting]["assignee"] is None
    assert leads[waiting]["closedAt"] is None
    for lead in (leads[lost], leads[won]):
        assert lead["createdAt"] <= lead["assignedAt"] <= lead["closedAt"]
        assert lead["campaign"] == {"name": "Fair"}
    assert leads[lost]["contact"]["email"] == "lost@lead.example"
    # The figures cover the partner's own leads (not the manager's, not the other partner's).
    assert data["campaign"] == {
        "name": "Fair",
        "stats": {
            "total": 3,
            "new": 1,
            "active": 0,
            "done": 2,
            "successful": 1,
            "unsuccessful": 1,
            "conversionRate": 0.5,
        },
    }
    assert "Secret" not in str(body)


PRIVATE_QUERIES = {
    "feedback": ("{ leads { edges { node { feedback { note } } } } }", "Lead.feedback"),
    "history": ("{ leads { edges { node { history { kind note } } } } }", "Lead.history"),
    "closeNote": ("{ leads { edges { node { status closeNote } } } }", "Lead.closeNote"),
    "opportunity": ("{ leads { edges { node { opportunity { id } } } } }", "Lead.opportunity"),
    "closedBy": ("{ leads { edges { node { closedBy { name } } } } }", "Lead.closedBy"),
    "assignee email": ("{ leads { edges { node { assignee { email } } } } }", "User.email"),
    "assignee load": (
        "{ leads { edges { node { assignee { name openLeadCount } } } } }",
        "User.openLeadCount",
    ),
    "users": ("{ users { name } }", "Query.users"),
    "opportunities": ("{ opportunities { totalCount } }", "Query.opportunities"),
    "myTasks": ("{ myTasks { totalCount } }", "Query.myTasks"),
    "auditLog": ("{ auditLog { totalCount } }", "Query.auditLog"),
    "contact": ('{ contact(id: "Q29udGFjdDox") { id } }', "Query.contact"),
    "apiTokens": ('{ apiTokens(userId: "VXNlcjox") { id } }', "Query.apiTokens"),
    # However the query is shaped: aliases, fragments, node, nested edges, next to allowed ones.
    "alias": ("{ leads { edges { node { status note: closeNote } } } }", "Lead.closeNote"),
    "fragment": (
        "{ leads { edges { node { ...Private } } } } "
        "fragment Private on Lead { feedback { note } }",
        "Lead.feedback",
    ),
    "inline fragment": (
        "{ leads { edges { node { ... on Lead { history { note } } } } } }",
        "Lead.history",
    ),
    "via campaign": (
        "{ campaigns { edges { node { leads { edges { node { closeNote } } } } } } }",
        "Lead.closeNote",
    ),
    "via lead's campaign": (
        "{ leads { edges { node { campaign { leads { edges { node { closedBy { id } } } } } } } } "
        "}",
        "Lead.closedBy",
    ),
    "next to allowed": (
        "{ viewer { name } leads { totalCount } users { email } }",
        "Query.users",
    ),
    # Of a contact only the email: a known email reuses the stored contact, whose other
    # details somebody else entered. Even the partner's own input is not read back. No contact
    # ID either, however it is asked for: an old, low key would tell a known person.
    "contact id": ("{ leads { edges { node { contact { id email } } } } }", "Contact.id"),
    "contact id as Node": (
        "{ leads { edges { node { contact { email ... on Node { id } } } } } }",
        "Contact.id",
    ),
    "contact id by a fragment on Node": (
        "{ leads { edges { node { contact { ...Ident } } } } } fragment Ident on Node { id }",
        "Contact.id",
    ),
    "contact id in the intake": (
        'mutation { createLeads(input: {campaignId: "Q2FtcGFpZ246MQ==", leads: []}) '
        "{ leads { contact { ... on Node { id } } } } }",
        "Contact.id",
    ),
    "contact name": ("{ leads { edges { node { contact { lastName } } } } }", "Contact.lastName"),
    "contact phone": ("{ leads { edges { node { contact { id phone } } } } }", "Contact.phone"),
    "contact address": (
        "{ leads { edges { node { contact { email street city } } } } }",
        "Contact.street",
    ),
    "contact company": (
        "{ leads { edges { node { contact { company firstName } } } } }",
        "Contact.company",
    ),
    "contact fragment": (
        "{ leads { edges { node { contact { ...Details } } } } } "
        "fragment Details on Contact { id salutation }",
        "Contact.salutation",
    ),
    "contact alias": (
        "{ leads { edges { node { contact { id mail: email tel: phone } } } } }",
        "Contact.phone",
    ),
}


@pytest.mark.parametrize("case", list(PRIVATE_QUERIES))
async def test_partner_is_refused_private_fields(client, worked_world, case: str):
    _, world, _ = worked_world  # the partner's "Lost" and "Won", worked on by clerk A
    query, field = PRIVATE_QUERIES[case]
    body = await gql(client, query, actor=world.partner)
    refused(body, field)
    assert "path" not in body["errors"][0]  # refused as a whole, before anything ran
    assert "Secret" not in str(body)


async def test_private_fields_through_node_and_lead_are_refused(client, worked_world):
    _, world, (lost, _won) = worked_world  # worked on by clerk A
    for query, field in (
        ("query($id: ID!) { node(id: $id) { ... on Lead { feedback { note } } } }", "feedback"),
        ("query($id: ID!) { lead(id: $id) { history { note } } }", "history"),
        ("query($id: ID!) { lead(id: $id) { opportunity { title } } }", "opportunity"),
        ("query($id: ID!) { lead(id: $id) { contact { phone } } }", "Contact.phone"),
        (
            "query($id: ID!) { node(id: $id) { ... on Lead { contact { lastName } } } }",
            "Contact.lastName",
        ),
        ("query($id: ID!) { node(id: $id) { ... on Contact { street } } }", "Contact.street"),
    ):
        body = await gql(client, query, {"id": lost}, actor=world.partner)
        refused(body, field)
        assert "Secret" not in str(body)
    # The contact's email it may read.
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { contact { email } } }",
        {"id": lost},
        actor=world.partner,
    )
    assert data_of(body)["lead"]["contact"]["email"] == "lost@lead.example"


async def test_partner_sees_its_own_user_record(client, world: World):
    body = await gql(client, "{ viewer { id name email role active } }", actor=world.partner)
    viewer = data_of(body)["viewer"]
    assert viewer["id"] == world.partner.gid
    assert viewer["email"] == world.partner.user.email
    assert (viewer["role"], viewer["active"]) == ("PARTNER", True)
    # Its own record, not anybody's: nothing beyond id and name of other users.
    body = await gql(
        client,
        "{ viewer { name } leads { edges { node { assignee { email } } } } }",
        actor=world.partner,
    )
    refused(body, "User.email")


async def test_partner_does_not_see_unlinked_campaigns(client, world: World):
    body = await gql(
        client, "{ campaigns { totalCount edges { node { id name } } } }", actor=world.partner
    )
    assert data_of(body)["campaigns"] == {
        "totalCount": 1,
        "edges": [{"node": {"id": world.fair, "name": "Fair"}}],
    }
    for query in (
        "query($id: ID!) { campaign(id: $id) { name } }",
        "query($id: ID!) { node(id: $id) { id } }",
        "query($id: ID!) { campaign(id: $id) { stats { total } } }",
    ):
        refused(await gql(client, query, {"id": world.webinar}, actor=world.partner))
    body = await gql(
        client,
        "query($id: ID!) { campaign(id: $id) { name } node(id: $id) { id } }",
        {"id": world.fair},
        actor=world.partner,
    )
    assert data_of(body) == {"campaign": {"name": "Fair"}, "node": {"id": world.fair}}


async def test_partner_may_use_the_playground_introspection(client, world: World):
    """Partners work in GraphiQL, which introspects the schema with the partner's token. The
    schema is public; introspection is not checked against the partner's field table."""
    body = await gql(
        client,
        """{ __schema { queryType { name } types { name fields { name } } }
             __type(name: "Lead") { fields { name description } } }""",
        actor=world.partner,
    )
    data = data_of(body)
    assert data["__schema"]["queryType"] == {"name": "Query"}
    types = {graphql_type["name"]: graphql_type for graphql_type in data["__schema"]["types"]}
    assert "Lead" in types
    # The whole schema, fields a partner may not read included.
    assert "phone" in [field["name"] for field in types["Contact"]["fields"]]
    assert "feedback" in [field["name"] for field in data["__type"]["fields"]]
    body = await gql(
        client,
        "{ __typename leads { __typename edges { node { __typename id "
        "contact { __typename email } } } } }",
        actor=world.partner,
    )
    assert data_of(body)["__typename"] == "Query"
    assert data_of(body)["leads"]["__typename"] == "LeadConnection"
    # Introspection next to a private field does not let the private field through.
    body = await gql(
        client,
        "{ __schema { queryType { name } } __typename leads { edges { node { closeNote } } } }",
        actor=world.partner,
    )
    refused(body, "Lead.closeNote")
    body = await gql(
        client, '{ __type(name: "User") { name } users { email } }', actor=world.partner
    )
    refused(body, "Query.users")


# --- contacts already known ----------------------------------------------------------------------

KNOWN = {"lastName": "Guess", "email": "KNOWN@example.com", "phone": "+49 89 1"}


async def partner_submits_known(client, partner: Actor, world: World) -> dict:
    """The partner submits the email of the manager's lead (in other letter case)."""
    payload = await mutate_ok(
        client,
        partner,
        "createLeads",
        {"campaignId": world.fair, "leads": [KNOWN]},
        "leads { id status assignee { name } contact { email } }",
    )
    return payload["leads"][0]


async def test_resubmitting_a_known_contact_does_not_reveal_someone_elses_lead(
    client, actors: Actors, world: World
):
    manager_lead = world.manager_lead
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [manager_lead["id"]], "assigneeId": actors.clerk_a.gid},
        "leads { id }",
    )
    before = await row_counts()
    lead = await partner_submits_known(client, world.partner, world)
    # A lead of its own for the same (reused) contact, not the manager's assigned one.
    assert lead["id"] != manager_lead["id"]
    assert (lead["status"], lead["assignee"]) == ("NEW", None)
    assert lead["contact"] == {"email": "known@example.com"}
    after = await row_counts()
    assert (after["Lead"], after["Contact"]) == (before["Lead"] + 1, before["Contact"])
    # The partner never sees the manager's lead: not in its lists, not by ID.
    body = await gql(client, OWN_LEADS, actor=world.partner)
    assert ids(data_of(body)["leads"]) == [lead["id"]]
    for field in ("lead", "node"):
        body = await gql(
            client,
            f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}",
            {"id": manager_lead["id"]},
            actor=world.partner,
        )
        refused(body)
    # The manager sees both open leads; the clerk's work on the first is untouched.
    body = await gql(
        client,
        """query($a: ID!, $b: ID!) {
          a: lead(id: $a) { status assignee { name } history { kind actor { email } } }
          b: lead(id: $b) { status assignee { name } history { kind actor { email } } } }""",
        {"a": manager_lead["id"], "b": lead["id"]},
        actor=actors.manager,
    )
    data = data_of(body)
    assert (data["a"]["status"], data["a"]["assignee"]) == ("ACTIVE", {"name": "Clara Clerk"})
    assert data["a"]["history"][0] == {
        "kind": "CREATED",
        "actor": {"email": "manager@test.example"},
    }
    assert data["b"] == {
        "status": "NEW",
        "assignee": None,
        "history": [{"kind": "CREATED", "actor": {"email": world.partner.user.email}}],
    }

    # Resending its own batch returns its own lead, unchanged, even once it is being worked on.
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead["id"]], "assigneeId": actors.clerk_b.gid},
        "leads { id }",
    )
    before = await row_counts()
    again = await partner_submits_known(client, world.partner, world)
    assert again == {**lead, "status": "ACTIVE", "assignee": {"name": "Bruno Clerk"}}
    assert await row_counts() == before

    # Another partner with the same contact gets a lead of its own, too.
    other = await partner_submits_known(client, world.other_partner, world)
    assert other["id"] not in (lead["id"], manager_lead["id"])
    assert (other["status"], other["assignee"]) == ("NEW", None)
    body = await gql(client, OWN_LEADS, actor=world.partner)
    assert ids(data_of(body)["leads"]) == [lead["id"]]
    contact = await Contact.get(email_key="known@example.com")
    creators = await Lead.filter(contact_id=contact.id, closed_at=None).values_list(
        "created_by_id", flat=True
    )
    assert sorted(creators) == sorted(
        [actors.manager.user.id, world.partner.user.id, world.other_partner.user.id]
    )


async def test_submitting_a_known_email_does_not_reveal_the_stored_contact(client, world: World):
    before = await row_counts()
    # Asking for the stored details is refused as a whole: no intake either.
    body = await gql(
        client,
        mutation_text("createLeads", "leads { contact { lastName phone street } }"),
        {"input": {"campaignId": world.fair, "leads": [KNOWN]}},
        actor=world.partner,
    )
    refused(body, "Contact.lastName", "Contact.phone", "Contact.street")
    assert "path" not in body["errors"][0]
    assert "Geheimweg" not in str(body) and "555 0100" not in str(body)
    assert await row_counts() == before
    # What it may read is the email, lower-cased: the stored contact is reused, unseen.
    lead = await partner_submits_known(client, world.partner, world)
    assert lead["contact"] == {"email": "known@example.com"}
    assert await Lead.filter(contact__email_key="known@example.com").count() == 2
    # The stored details stay as the manager entered them (no overwrite by the partner).
    contact = await Contact.get(email_key="known@example.com")
    assert (contact.last_name, contact.phone, contact.street) == (
        "Managerlead",
        "+49 30 555 0100",
        "Geheimweg 1",
    )
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { contact { email phone } } }",
        {"id": lead["id"]},
        actor=world.partner,
    )
    refused(body, "Contact.phone")
    assert "555 0100" not in str(body)


async def test_searching_does_not_reveal_the_stored_contact(client, world: World):
    lead = await partner_submits_known(client, world.partner, world)
    body = await gql(client, OWN_LEADS, {"filter": {"search": "known@"}}, actor=world.partner)
    assert ids(data_of(body)["leads"]) == [lead["id"]]
    # "Managerlead" is the last name the manager stored; the partner sent "Guess".
    for probe in ("Managerlead", "managerl", "Manager"):
        body = await gql(client, OWN_LEADS, {"filter": {"search": probe}}, actor=world.partner)
        assert data_of(body)["leads"]["totalCount"] == 0, probe


# --- a new person and a known one look the same ---------------------------------------------------

# Everything a partner may read of the leads it submits (PARTNER_READABLE), in the intake's
# answer and when it reads the lead again.
PARTNER_LEAD = """id status assignedAt outcome closeReason closedAt createdAt
  contact { email } campaign { id name } assignee { id name }"""


async def partner_intake(client, world: World, email: str) -> dict[str, Any]:
    """The partner's whole answer to submitting one person, and its later read of the lead."""
    body = await gql(
        client,
        mutation_text("createLeads", f"leads {{ {PARTNER_LEAD} }}"),
        {"input": {"campaignId": world.fair, "leads": [{"lastName": "Probe", "email": email}]}},
        actor=world.partner,
    )
    answer = data_of(body)["createLeads"]
    body = await gql(
        client,
        f"query($id: ID!) {{ lead(id: $id) {{ {PARTNER_LEAD} }} }}",
        {"id": answer["leads"][0]["id"]},
        actor=world.partner,
    )
    return {"answer": answer, "read": data_of(body)["lead"]}


def comparable(result: dict[str, Any], submitted: str) -> dict[str, Any]:
    """`result` with what must differ between two people taken out: the lead's own id and
    creation time (checked separately) and the email, which must be the submitted one,
    lower-cased."""
    shapes = {}
    for name, lead in (("answer", result["answer"]["leads"][0]), ("read", result["read"])):
        assert lead["contact"] == {"email": submitted.lower()}, (name, lead)
        shapes[name] = {
            key: value for key, value in lead.items() if key not in ("id", "createdAt", "contact")
        }
    shapes["userErrors"] = result["answer"]["userErrors"]
    return shapes


async def test_a_partner_cannot_tell_a_known_person_from_a_new_one(
    client, actors: Actors, world: World
):
    # Someone the manager entered (stored spelling "Known.Person@Example.COM") in the campaign
    # the partner is not linked to, with an open lead a clerk works on.
    payload = await mutate_ok(
        client,
        actors.manager,
        "createLeads",
        {
            "campaignId": world.webinar,
            "leads": [{"lastName": "Stored", "email": "Known.Person@Example.COM", "phone": "1"}],
        },
        "leads { id contact { id } }",
    )
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [payload["leads"][0]["id"]], "assigneeId": actors.clerk_a.gid},
        "leads { id }",
    )
    known_submitted, new_submitted = "known.person@EXAMPLE.com", "fresh.person@EXAMPLE.com"
    contacts_before = await Contact.all().count()
    known = await partner_intake(client, world, known_submitted)
    new = await partner_intake(client, world, new_submitted)
    # The known person's contact was reused, the new one created: the partner cannot tell.
    assert await Contact.all().count() == contacts_before + 1
    assert await Lead.filter(contact__email_key="known.person@example.com").count() == 2
    assert comparable(known, known_submitted) == comparable(new, new_submitted)
    assert comparable(known, known_submitted)["answer"]["status"] == "NEW"
    # Both leads are new leads of the partner's, in the order they were submitted.
    known_lead, new_lead = known["answer"]["leads"][0], new["answer"]["leads"][0]
    assert known_lead["id"] != new_lead["id"]
    assert known_lead["createdAt"] <= new_lead["createdAt"]
    # Sending both again answers both alike, too: the partner's own lead, nothing else.
    assert (await partner_intake(client, world, known_submitted))["answer"] == known["answer"]
    assert (await partner_intake(client, world, new_submitted))["answer"] == new["answer"]
    # Its lists and figures count both alike.
    body = await gql(
        client,
        "{ leadCounts { new active done } leads { totalCount } }",
        actor=world.partner,
    )
    assert data_of(body) == {
        "leadCounts": {"new": 2, "active": 0, "done": 0},
        "leads": {"totalCount": 2},
    }
