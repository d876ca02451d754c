"""Sales opportunities ("Verkaufschancen"): creation outside a lead close, and hand-over."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor, actor_user
from leadflow.db.enums import LeadEventKind, OpportunityEventKind, OpportunityStage
from leadflow.db.models import (
    NAME_MAX,
    NOTE_MAX,
    Contact,
    Lead,
    LeadEvent,
    Opportunity,
    OpportunityEvent,
    User,
)
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import contacts
from leadflow.services.users import require_active_clerk
from leadflow.services.validation import clean_money, clean_text


@dataclass(frozen=True, slots=True)
class OpportunityFilter:
    owner_id: int | None = None
    stage: OpportunityStage | None = None


def filtered_opportunities(
    actor: Actor, opportunity_filter: OpportunityFilter | None = None
) -> QuerySet[Opportunity]:
    opportunity_filter = opportunity_filter or OpportunityFilter()
    opportunities = policy.visible_opportunities(actor)
    if opportunity_filter.owner_id is not None:
        policy.require_may_list_opportunities_of(actor, opportunity_filter.owner_id)
        opportunities = opportunities.filter(owner_id=opportunity_filter.owner_id)
    if opportunity_filter.stage is not None:
        opportunities = opportunities.filter(stage=opportunity_filter.stage)
    return opportunities


async def get_opportunity(actor: Actor, opportunity_id: int) -> Opportunity:
    """One opportunity, under the rule of `policy.visible_opportunities`."""
    missing = DomainError(ErrorCode.NOT_FOUND, "This opportunity does not exist.", ["id"])
    return await policy.find_opportunity(actor, opportunity_id, missing)


async def create_opportunity(
    actor: Actor,
    contact_id: int,
    title: str,
    expected_value: Decimal | None = None,
    owner_id: int | None = None,
    lead_id: int | None = None,
) -> Opportunity:
    policy.require_worker(actor)
    contact = await contacts.get_contact(actor, contact_id, "contactId")
    clean_title = clean_text(title, ["title"], max_length=NAME_MAX, required=True)
    value = clean_money(expected_value, ["expectedValue"])
    owner = await _owner_for_new_opportunity(actor, owner_id)
    lead = await _originating_lead(actor, contact, lead_id)
    checked = NewOpportunity(
        title=clean_title,
        contact_id=contact.id,
        owner_id=owner.id,
        expected_value=value,
        lead_id=lead.id if lead is not None else None,
    )
    async with in_transaction():
        return await store_opportunity(actor, checked)


@dataclass(frozen=True, slots=True)
class NewOpportunity:
    """An opportunity whose values have been checked, about to be stored."""

    title: str
    contact_id: int
    owner_id: int
    expected_value: Decimal | None = None
    lead_id: int | None = None


async def store_opportunity(actor: Actor, new: NewOpportunity) -> Opportunity:
    """Store a checked opportunity with its history (and the lead's, when it came from one);
    run inside the caller's transaction. Both ways to create one end here: `create_opportunity`
    and a successful `services.leads.close_lead`."""
    created_at = clock.now()
    opportunity = await Opportunity.create(
        title=new.title,
        contact_id=new.contact_id,
        lead_id=new.lead_id,
        owner_id=new.owner_id,
        expected_value=new.expected_value,
        created_at=created_at,
    )
    await OpportunityEvent.create(
        opportunity=opportunity,
        kind=OpportunityEventKind.CREATED,
        actor=actor_user(actor),
        owner_id=new.owner_id,
        at=created_at,
    )
    if new.lead_id is not None:
        await LeadEvent.create(
            lead_id=new.lead_id,
            kind=LeadEventKind.OPPORTUNITY_CREATED,
            actor=actor_user(actor),
            opportunity=opportunity,
            at=created_at,
        )
    return opportunity


async def _owner_for_new_opportunity(actor: Actor, owner_id: int | None) -> User:
    if owner_id is not None:
        return await require_active_clerk(actor, owner_id, ["ownerId"])
    user = actor_user(actor)
    if user is not None and policy.is_clerk(user):
        return user
    raise DomainError(ErrorCode.REQUIRED, "Choose the clerk who owns the opportunity.", ["ownerId"])


async def _originating_lead(actor: Actor, contact: Contact, lead_id: int | None) -> Lead | None:
    if lead_id is None:
        return None
    missing = DomainError(ErrorCode.NOT_FOUND, "This lead does not exist.", ["leadId"])
    lead = await policy.find_lead(actor, lead_id, missing)
    if lead.contact_id != contact.id:
        raise DomainError(ErrorCode.INVALID, "This lead belongs to another contact.", ["leadId"])
    return lead


async def hand_over_opportunity(
    actor: Actor, opportunity_id: int, owner_id: int, note: str | None = None
) -> Opportunity:
    opportunity = await Opportunity.get_or_none(id=opportunity_id)
    if opportunity is None:
        raise DomainError(
            ErrorCode.NOT_FOUND, "This opportunity does not exist.", ["opportunityId"]
        )
    policy.require_opportunity_owner(actor, opportunity)
    if opportunity.stage is not OpportunityStage.OPEN:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "Only open opportunities can be handed over.",
            ["opportunityId"],
        )
    clean_note = clean_text(note, ["note"], max_length=NOTE_MAX)
    owner = await require_active_clerk(actor, owner_id, ["ownerId"])
    if owner.id == opportunity.owner_id:
        raise DomainError(
            ErrorCode.INVALID, f"{owner.name} owns this opportunity already.", ["ownerId"]
        )
    async with in_transaction():
        changed = await Opportunity.filter(
            id=opportunity.id, owner_id=opportunity.owner_id, stage=OpportunityStage.OPEN
        ).update(owner_id=owner.id)
        if changed != 1:
            raise DomainError(
                ErrorCode.CONFLICT,
                "Someone else changed this opportunity at the same moment; reload and retry.",
                ["opportunityId"],
            )
        await OpportunityEvent.create(
            opportunity=opportunity,
            kind=OpportunityEventKind.HANDED_OVER,
            actor=actor_user(actor),
            owner=owner,
            previous_owner_id=opportunity.owner_id,
            note=clean_note,
            at=clock.now(),
        )
    return await Opportunity.get(id=opportunity.id)
