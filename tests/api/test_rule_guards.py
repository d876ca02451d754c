"""Rules that a hand-made mutation check (issue 11) found unguarded: each test here fails when its
rule is broken. A read-only token of an *admin* is refused every mutation (the matrix's read-only
token is a manager's, refused the admin mutations for its role alone), and a former owner of an
opportunity, who still sees it through their lead, cannot hand it over again."""

from __future__ import annotations

from leadflow.api.ids import decode_id, encode_id
from leadflow.db.enums import OpportunityStage, Role
from leadflow.db.models import AuditEntry, Opportunity
from leadflow.services.audit import AuditAction
from tests.api.test_authorization_matrix import (
    ALLOWED,
    MATRIX,
    OPERATIONS,
    Operation,
    Prepared,
    app,  # noqa: F401 - the matrix's app: webhooks to loopback allowed, no delivery worker
    check_allowed,
    check_refused,
    mutation,
    prepare,
    root_fields,
)
from tests.helpers import Actor, Actors, data_of, error_codes, gql, make_actor

CREATE_TOKEN = """mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { secret userErrors { code } } }"""


# Run after the others: it deletes the webhook the other webhook mutations use.
RUN_LAST = ("deleteWebhook",)


async def read_only_token_of(client, admin: Actor) -> Actor:
    """A read-only token of the admin, made the way admins make them."""
    input = {"userId": admin.gid, "name": "Read only", "readOnly": True}
    payload = data_of(await gql(client, CREATE_TOKEN, {"input": input}, actor=admin))
    assert payload["createApiToken"]["userErrors"] == [], payload
    return Actor(user=admin.user, token=payload["createApiToken"]["secret"])


async def prepared_world(client, actors: Actors) -> Prepared:
    other_partner = await make_actor("other.partner@test.example", "Olga Other", Role.PARTNER)
    return await prepare(client, actors, other_partner)


async def test_a_read_only_admin_token_reads_like_an_admin_and_changes_nothing(
    client, actors: Actors
):
    prepared = await prepared_world(client, actors)
    read_only = await read_only_token_of(client, actors.admin)
    fields = root_fields()
    problems = []
    for field in sorted(fields["Query"]):
        if MATRIX[field]["admin"] == ALLOWED:
            problem = await check_allowed(client, read_only, field, OPERATIONS[field](prepared))
            if problem:
                problems.append(f"{field} with the admin's read-only token: {problem}")
    # Every mutation, the admin-only ones included (createApiToken would mint a read-write token).
    for field in sorted(fields["Mutation"], key=lambda name: (name in RUN_LAST, name)):
        operation = OPERATIONS[field](prepared)
        problem = await check_refused(client, read_only, field, operation)
        if problem:
            problems.append(f"{field} with the admin's read-only token: {problem}")
            continue
        # The refusal is the token's: the same request with the admin's own token works.
        problem = await check_allowed(client, actors.admin, field, operation)
        if problem:
            problems.append(f"{field} with the admin's token (control): {problem}")
    assert not problems, "\n".join(problems)


OPPORTUNITY = "query($id: ID!) { opportunity(id: $id) { id owner { id } } }"


def hand_over(opportunity: str, owner: str) -> Operation:
    return mutation("handOverOpportunity", {"opportunityId": opportunity, "ownerId": owner})


async def test_a_former_owner_cannot_hand_an_opportunity_over_again(client, actors: Actors):
    prepared = await prepared_world(client, actors)
    clerk_a, clerk_b = actors.clerk_a, actors.clerk_b
    opportunity = prepared.handover_opportunity  # won on clerk A's lead, owned by clerk A
    assert not await check_allowed(
        client, clerk_a, "handOverOpportunity", hand_over(opportunity, clerk_b.gid)
    )
    # Clerk A still sees it (it came from their lead): the refusal below is the owner rule's,
    # not the visibility rule's.
    body = await gql(client, OPPORTUNITY, {"id": opportunity}, actor=clerk_a)
    assert data_of(body)["opportunity"] == {"id": opportunity, "owner": {"id": clerk_b.gid}}
    for target in (clerk_a.gid, prepared.victim):  # back to themselves, or to a third clerk
        problem = await check_refused(
            client, clerk_a, "handOverOpportunity", hand_over(opportunity, target)
        )
        assert not problem, f"the former owner handed it over to {target}: {problem}"
    # The new owner may (the same request shape is valid).
    assert not await check_allowed(
        client, clerk_b, "handOverOpportunity", hand_over(opportunity, prepared.victim)
    )


# --- rules that mutation testing found unguarded (make mutation) --------------------------------

OPPORTUNITIES_IN_STAGE = """query($stage: OpportunityStage) {
  opportunities(filter: {stage: $stage}) { edges { node { id stage } } } }"""


async def test_opportunities_are_filtered_by_stage(client, actors: Actors):
    prepared = await prepared_world(client, actors)
    won = prepared.handover_opportunity
    await Opportunity.filter(id=decode_id(won, "Opportunity", ["id"])).update(
        stage=OpportunityStage.WON
    )
    for stage, expected in (("WON", [won]), ("OPEN", [prepared.opportunity]), ("LOST", [])):
        body = await gql(client, OPPORTUNITIES_IN_STAGE, {"stage": stage}, actor=actors.manager)
        nodes = [edge["node"] for edge in data_of(body)["opportunities"]["edges"]]
        assert nodes == [{"id": gid, "stage": stage} for gid in expected], stage


async def test_a_missing_opportunity_is_not_found_for_everyone(client, actors: Actors):
    missing = encode_id("Opportunity", 999_999)
    for actor in (actors.manager, actors.clerk_a):
        body = await gql(
            client, "query($id: ID!) { opportunity(id: $id) { id } }", {"id": missing}, actor=actor
        )
        assert error_codes(body) == ["NOT_FOUND"]
        assert body["errors"][0]["message"] == "This opportunity does not exist."


LEAD_CONTACT_EMAIL = "query($id: ID!) { lead(id: $id) { contact { email } } }"


async def test_a_contacts_email_reads_as_stored_except_for_partners(client, actors: Actors):
    """Partners read the lower-cased key (a known person must not show through its stored
    spelling); everyone else reads the email as it was given."""
    prepared = await prepared_world(client, actors)
    payload = await gql(
        client,
        "mutation($input: CreateLeadsInput!) { createLeads(input: $input) { leads { id } } }",
        {
            "input": {
                "campaignId": prepared.campaign,
                "leads": [{"lastName": "Case", "email": "Pat.Case@Example.COM"}],
            }
        },
        actor=actors.partner,
    )
    lead = data_of(payload)["createLeads"]["leads"][0]["id"]
    for actor, email in (
        (actors.partner, "pat.case@example.com"),
        (actors.manager, "Pat.Case@Example.COM"),
    ):
        body = await gql(client, LEAD_CONTACT_EMAIL, {"id": lead}, actor=actor)
        assert data_of(body)["lead"]["contact"]["email"] == email


ADMIN_ONLY_WITH_IDS = {
    "createUser": (
        """mutation($input: CreateUserInput!) {
          createUser(input: $input) { userErrors { code } } }""",
        {"email": "new@test.example", "name": "New", "role": "PARTNER", "campaignIds": ["x"]},
    ),
    "deactivateUser": (
        """mutation($input: DeactivateUserInput!) {
          deactivateUser(input: $input) { userErrors { code } } }""",
        {"userId": "x"},
    ),
    "createApiToken": (CREATE_TOKEN, {"userId": "x", "name": "t"}),
    "revokeApiToken": (
        """mutation($input: RevokeApiTokenInput!) {
          revokeApiToken(input: $input) { userErrors { code } } }""",
        {"tokenId": "x"},
    ),
    "linkPartnerCampaigns": (
        """mutation($input: LinkPartnerCampaignsInput!) {
          linkPartnerCampaigns(input: $input) { userErrors { code } } }""",
        {"userId": "x", "campaignIds": ["x"]},
    ),
}


async def test_non_admins_are_refused_before_their_ids_are_read(client, actors: Actors):
    """The admin check comes before decoding the client's ids: a clerk sending a Lead ID (or
    garbage) where a User ID belongs is FORBIDDEN and audited, not told which ID is wrong."""
    lead_id = encode_id("Lead", 1)
    refusals_before = await AuditEntry.filter(action=AuditAction.ACCESS_DENIED).count()
    problems = []
    for field, (document, input) in ADMIN_ONLY_WITH_IDS.items():
        for wrong in ("garbage", lead_id):
            sent = {
                key: ([wrong] if isinstance(v, list) else wrong) if v == "x" or v == ["x"] else v
                for key, v in input.items()
            }
            for actor in (actors.clerk_a, actors.manager):
                body = await gql(client, document, {"input": sent}, actor=actor)
                if error_codes(body) != ["FORBIDDEN"] or (body.get("data") or {}).get(field):
                    problems.append(f"{field} by {actor.user.email} with {wrong!r}: {body}")
    tokens = await gql(
        client,
        "query($id: ID!) { apiTokens(userId: $id) { id } }",
        {"id": lead_id},
        actor=actors.manager,
    )
    if error_codes(tokens) != ["FORBIDDEN"]:
        problems.append(f"apiTokens with a Lead ID: {tokens}")
    assert problems == []
    refusals = await AuditEntry.filter(action=AuditAction.ACCESS_DENIED).count()
    assert refusals - refusals_before == len(ADMIN_ONLY_WITH_IDS) * 2 * 2 + 1
