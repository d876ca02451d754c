"""The policy and the account services with explicit actors: the system actors pass the admin
and manager checks because the policy says so (not because nobody is asking), each visibility
rule says the same when it filters a list and when it checks one object, and creating a user is
one audited, all-or-nothing use case for every caller."""

from __future__ import annotations

import pytest

from leadflow.auth import policy
from leadflow.auth.actors import DEMO, OPERATOR, Actor
from leadflow.db.enums import Role
from leadflow.db.models import AuditEntry, Lead, PartnerCampaign, User
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services import (
    accounts,
    campaigns,
    contacts,
    leads,
    opportunities,
    users,
)
from leadflow.services.leads import LeadIntake
from tests.helpers import Actors

SYSTEM = [OPERATOR, DEMO]


def everyone(actors: Actors) -> list[Actor]:
    people = [actors.admin, actors.manager, actors.clerk_a, actors.clerk_b, actors.partner]
    return [*(person.user for person in people), OPERATOR]


async def small_world(actors: Actors) -> Lead:
    """Leads of clerk A, clerk B, nobody yet, and one the partner submitted; an opportunity
    clerk A made from their lead and handed to clerk B. Returns clerk A's lead."""
    manager = actors.manager.user
    fair = await campaigns.create_campaign(manager, "Fair")
    await accounts.link_partner_campaigns(OPERATOR, actors.partner.user.id, [fair.id])
    intakes = [LeadIntake(last_name=f"Person {n}", email=f"p{n}@example.com") for n in range(3)]
    of_a, of_b, _ = await leads.create_leads(manager, fair.id, intakes)
    await leads.create_leads(
        actors.partner.user, fair.id, [LeadIntake(last_name="Via Partner", email="via@example.com")]
    )
    await leads.assign_leads(manager, [of_a.id], actors.clerk_a.user.id)
    await leads.assign_leads(manager, [of_b.id], actors.clerk_b.user.id)
    opportunity = await opportunities.create_opportunity(
        actors.clerk_a.user, of_a.contact_id, "Deal", lead_id=of_a.id
    )
    await opportunities.hand_over_opportunity(
        actors.clerk_a.user, opportunity.id, actors.clerk_b.user.id
    )
    return of_a


@pytest.mark.parametrize("system", SYSTEM, ids=str)
async def test_the_system_may_do_what_an_admin_may_and_sees_everything(actors, system):
    await small_world(actors)
    policy.require_admin(system, "create users")
    policy.require_manager(system, "distribute leads")
    policy.require_worker(system)
    assert policy.is_manager(system) and not policy.is_partner(system)
    assert await policy.visible_leads(system).count() == await Lead.all().count()
    assert await policy.visible_users(system).count() == await User.all().count()
    assert policy.reads_every_lead(system)


async def test_people_pass_only_the_checks_of_their_role(actors):
    clerk, partner, manager = actors.clerk_a.user, actors.partner.user, actors.manager.user
    policy.require_manager(manager, "distribute leads")
    for person in (clerk, partner, manager):
        with pytest.raises(AccessDenied):
            policy.require_admin(person, "create users")
    with pytest.raises(AccessDenied, match="Only managers may"):
        policy.require_manager(clerk, "distribute leads")
    with pytest.raises(AccessDenied):
        policy.require_worker(partner)


async def test_a_lead_checked_on_its_own_is_visible_exactly_when_the_list_shows_it(actors):
    await small_world(actors)
    every_lead = await Lead.all()
    for actor in everyone(actors):
        listed = set(await policy.visible_leads(actor).values_list("id", flat=True))
        for lead in every_lead:
            row = {"assignee_id": lead.assignee_id, "created_by_id": lead.created_by_id}
            assert policy.may_see_lead(actor, lead) == (lead.id in listed), (actor, lead.id)
            assert policy.may_see_lead(actor, row) == (lead.id in listed), (actor, lead.id)


async def test_user_details_are_visible_exactly_for_the_users_the_list_shows(actors):
    every_user = await User.all()
    for viewer in everyone(actors):
        if policy.is_partner(viewer):
            continue  # partners list nobody (below), yet read their own details
        listed = set(await policy.visible_users(viewer).values_list("id", flat=True))
        for user in every_user:
            sees = users.details_visible(viewer, user.id, user.role, user.active)
            assert sees == (user.id in listed), (viewer, user.email)
    partner = actors.partner.user
    assert users.details_visible(partner, partner.id, partner.role, partner.active)
    clerk = actors.clerk_a.user
    assert not users.details_visible(partner, clerk.id, clerk.role, clerk.active)
    with pytest.raises(AccessDenied):
        policy.visible_users(partner)


async def test_one_object_is_found_through_the_rule_of_the_lists(actors):
    lead_of_a = await small_world(actors)
    clerk_a, clerk_b, partner = actors.clerk_a.user, actors.clerk_b.user, actors.partner.user

    assert (await leads.get_lead(clerk_a, lead_of_a.id)).id == lead_of_a.id
    with pytest.raises(AccessDenied, match="assigned to someone else"):
        await leads.get_lead(clerk_b, lead_of_a.id)
    with pytest.raises(AccessDenied, match="not submitted by you"):
        await leads.get_lead(partner, lead_of_a.id)
    with pytest.raises(DomainError) as missing:
        await leads.get_lead(clerk_a, 999_999)
    assert missing.value.code is ErrorCode.NOT_FOUND

    # The handed-over opportunity's contact stays visible to both clerks, not to others.
    contact = await contacts.get_contact(clerk_b, lead_of_a.contact_id)
    assert contact.id == lead_of_a.contact_id
    assert (await contacts.get_contact(clerk_a, contact.id)).id == contact.id
    with pytest.raises(AccessDenied):
        await contacts.get_contact(actors.inactive_clerk.user, contact.id)
    # A role that sees no contacts at all is refused, but a missing one is NOT_FOUND for all.
    with pytest.raises(AccessDenied):
        await contacts.get_contact(partner, contact.id)
    with pytest.raises(DomainError) as missing:
        await contacts.get_contact(partner, 999_999)
    assert missing.value.code is ErrorCode.NOT_FOUND

    fair = await campaigns.get_campaign(partner, lead_of_a.campaign_id)
    other = await campaigns.create_campaign(actors.manager.user, "Other")
    with pytest.raises(AccessDenied, match="not linked to you"):
        await campaigns.get_campaign(partner, other.id)
    assert (await campaigns.get_campaign(clerk_a, other.id)).id == other.id
    assert fair.id == lead_of_a.campaign_id

    assert (await users.get_user(clerk_a, clerk_b.id)).id == clerk_b.id
    with pytest.raises(AccessDenied, match="only themselves and the active clerks"):
        await users.get_user(clerk_a, actors.manager.user.id)
    with pytest.raises(AccessDenied):
        await users.get_user(partner, partner.id)
    with pytest.raises(DomainError) as missing:
        await users.get_user(partner, 999_999)
    assert missing.value.code is ErrorCode.NOT_FOUND


async def test_the_operator_creates_a_user_audited_under_its_own_name(actors):
    user = await users.create_user(OPERATOR, "New@Example.com", "Nora New", Role.CLERK)
    assert user.email == "new@example.com"
    [entry] = await AuditEntry.filter(action="user.created")
    assert entry.actor_id is None  # the system is nobody in the database ...
    assert "new@example.com" in entry.detail and "system:operator" in entry.detail  # ... but named


async def test_creating_a_user_is_for_admins_and_the_system_only(actors):
    for person in (actors.manager, actors.clerk_a, actors.partner):
        with pytest.raises(AccessDenied, match="Only admins may create users"):
            await users.create_user(person.user, "x@example.com", "X", Role.CLERK)
    assert not await User.filter(email="x@example.com").exists()
    created = await users.create_user(actors.admin.user, "x@example.com", "X", Role.CLERK)
    [entry] = await AuditEntry.filter(action="user.created")
    assert (entry.actor_id, entry.detail) == (actors.admin.user.id, "x@example.com CLERK")
    assert created.role is Role.CLERK


async def test_a_refused_partner_link_leaves_no_user_and_no_audit_entry(actors):
    fair = await campaigns.create_campaign(actors.manager.user, "Fair")
    for role, campaign_ids, code in [
        (Role.PARTNER, [fair.id, 999_999], ErrorCode.NOT_FOUND),
        (Role.CLERK, [fair.id], ErrorCode.INVALID),
    ]:
        with pytest.raises(DomainError) as refused:
            await users.create_user(
                OPERATOR, "late@example.com", "Late", role, campaign_ids=campaign_ids
            )
        assert (refused.value.code, refused.value.field) == (code, ("campaignIds",))
    assert not await User.filter(email="late@example.com").exists()
    assert not await PartnerCampaign.all().exists()
    assert not await AuditEntry.all().exists()

    partner = await users.create_user(
        OPERATOR, "late@example.com", "Late", Role.PARTNER, campaign_ids=[fair.id]
    )
    assert [c.id for c in await accounts.linked_campaigns(partner)] == [fair.id]
    actions = await AuditEntry.all().order_by("id").values_list("action", flat=True)
    assert actions == ["user.created", "partner.campaigns_linked"]


async def test_admins_may_not_deactivate_themselves_but_the_operator_may_deactivate_anyone(
    actors,
):
    admin = actors.admin.user
    with pytest.raises(DomainError, match="cannot deactivate yourself"):
        await accounts.deactivate_user(admin, admin.id)
    assert (await accounts.deactivate_user(OPERATOR, admin.id)).active is False


async def test_tokens_are_listed_for_admins_only_not_even_for_their_owner(actors):
    clerk = actors.clerk_a.user
    token, _ = await accounts.create_api_token(OPERATOR, clerk.id, name="dashboard")
    assert token.user.id == clerk.id
    with pytest.raises(AccessDenied):
        await accounts.tokens_of(clerk, clerk.id)
    listed = await accounts.tokens_of(actors.admin.user, clerk.id)
    assert token.id in [t.id for t in listed]
    assert {t.user.id for t in listed} == {clerk.id}
    assert (await accounts.get_api_token(actors.admin.user, token.id)).user.id == clerk.id
    with pytest.raises(AccessDenied):
        await accounts.get_api_token(actors.manager.user, token.id)
    with pytest.raises(DomainError) as missing:
        await accounts.tokens_of(OPERATOR, 999_999)
    assert (missing.value.code, missing.value.field) == (ErrorCode.NOT_FOUND, ("userId",))
