"""Sales opportunities ("Verkaufschancen"): creation outside a lead close, hand-over, the moves
through the pipeline's stages, edits, and the pipeline's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor, actor_user
from leadflow.db.enums import (
    LeadEventKind,
    OpportunityEventKind,
    OpportunityLostReason,
    OpportunityStage,
)
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
from leadflow.services import contacts, notifications, outbox
from leadflow.services.activities import (
    complete_open_activities,
    hand_over_open_activities,
    lock_contact,
)
from leadflow.services.users import require_active_clerk
from leadflow.services.validation import clean_money, clean_text

# WON and LOST close an opportunity; the other stages are open ones, in pipeline order.
CLOSING_STAGES = frozenset({OpportunityStage.WON, OpportunityStage.LOST})
OPEN_STAGES = tuple(stage for stage in OpportunityStage if stage not in CLOSING_STAGES)

_CONFLICT = "Someone else changed this opportunity at the same moment; reload and retry."


@dataclass(frozen=True, slots=True)
class OpportunityFilter:
    owner_id: int | None = None
    stage: OpportunityStage | None = None
    # The campaign of the lead it came from, as the pipeline counts: one created without a lead
    # is in no campaign.
    campaign_id: int | None = None


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
    if opportunity_filter.campaign_id is not None:
        opportunities = opportunities.filter(lead__campaign_id=opportunity_filter.campaign_id)
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
    """Store a checked opportunity with its history (and the lead's, when it came from one) and
    its `opportunity.created` event; run inside the caller's transaction. Both ways to create
    one end here: `create_opportunity` and a successful `services.leads.close_lead`."""
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
    await outbox.publish(
        [
            await _opportunity_event(
                outbox.OPPORTUNITY_CREATED, opportunity, [new.owner_id], ownerId=new.owner_id
            )
        ]
    )
    return opportunity


async def _opportunity_event(
    topic: str, opportunity: Opportunity, user_ids: list[int], **payload: object
) -> outbox.Event:
    """An outbox event about one opportunity: ids only, never personal data. Its campaign is
    that of the lead it came from, as the pipeline counts (none without a lead): webhooks
    subscribed to some campaigns get the opportunities of those campaigns' leads."""
    lead = None
    if opportunity.lead_id is not None:
        lead = await Lead.filter(id=opportunity.lead_id).only("id", "campaign_id").first()
    return outbox.Event(
        topic,
        lead_id=opportunity.lead_id,
        opportunity_id=opportunity.id,
        campaign_id=lead.campaign_id if lead is not None else None,
        user_ids=user_ids,
        payload=payload,
    )


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
    opportunity = await _opportunity_owned_by(actor, opportunity_id, "hand over")
    if opportunity.stage in CLOSING_STAGES:
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
    handed_over_at = clock.now()
    async with in_transaction():
        changed = await Opportunity.filter(
            id=opportunity.id, owner_id=opportunity.owner_id, stage__in=OPEN_STAGES
        ).update(owner_id=owner.id)
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT, _CONFLICT, ["opportunityId"])
        await OpportunityEvent.create(
            opportunity=opportunity,
            kind=OpportunityEventKind.HANDED_OVER,
            actor=actor_user(actor),
            owner=owner,
            previous_owner_id=opportunity.owner_id,
            note=clean_note,
            at=handed_over_at,
        )
        # The follow-ups the previous owner was to do go with the opportunity.
        await hand_over_open_activities(
            actor,
            opportunity_id=opportunity.id,
            previous_clerk_id=opportunity.owner_id,
            clerk_id=owner.id,
            at=handed_over_at,
        )
        await notifications.notify_opportunity_handed_over(
            actor, opportunity, opportunity.owner_id, owner.id
        )
        await outbox.publish(
            [
                await _opportunity_event(
                    outbox.OPPORTUNITY_HANDED_OVER,
                    opportunity,
                    [owner.id, opportunity.owner_id],
                    ownerId=owner.id,
                    previousOwnerId=opportunity.owner_id,
                )
            ]
        )
    return await Opportunity.get(id=opportunity.id)


async def _opportunity_owned_by(actor: Actor, opportunity_id: int, action: str) -> Opportunity:
    """The opportunity a hand-over, a move or an edit is about, when the actor may change it."""
    opportunity = await Opportunity.get_or_none(id=opportunity_id)
    if opportunity is None:
        raise DomainError(
            ErrorCode.NOT_FOUND, "This opportunity does not exist.", ["opportunityId"]
        )
    policy.require_opportunity_owner(actor, opportunity, action)
    return opportunity


async def move_opportunity(
    actor: Actor,
    opportunity_id: int,
    stage: OpportunityStage,
    lost_reason: OpportunityLostReason | None = None,
    note: str | None = None,
) -> Opportunity:
    """Move an opportunity to another stage: WON and LOST close it (LOST with a reason), only a
    manager moves a closed one anywhere else. The owner or a manager may move it."""
    opportunity = await _opportunity_owned_by(actor, opportunity_id, "change")
    if opportunity.stage in CLOSING_STAGES:
        policy.require_may_reopen_opportunity(actor)
    if stage is opportunity.stage:
        raise DomainError(ErrorCode.INVALID, "The opportunity is in this stage already.", ["stage"])
    if stage is OpportunityStage.LOST and lost_reason is None:
        raise DomainError(ErrorCode.REQUIRED, "Say why the opportunity was lost.", ["lostReason"])
    if stage is not OpportunityStage.LOST and lost_reason is not None:
        raise DomainError(
            ErrorCode.INVALID, "Only a lost opportunity has a reason.", ["lostReason"]
        )
    clean_note = clean_text(note, ["note"], max_length=NOTE_MAX)
    moved_at = clock.now()
    async with in_transaction():
        # Compare-and-set on the stage (and owner) read above: of two moves at the same moment
        # one changes the row, the other finds it changed and gets CONFLICT instead of
        # overwriting a move it never saw (and its check of who may move it would be stale).
        closing = stage in CLOSING_STAGES
        # Won or lost, nothing is left to do: no next due time (moving back leaves it unset).
        nothing_due: dict[str, None] = {"next_due_at": None} if closing else {}
        changed = await Opportunity.filter(
            id=opportunity.id, stage=opportunity.stage, owner_id=opportunity.owner_id
        ).update(
            stage=stage,
            closed_at=moved_at if closing else None,
            lost_reason=lost_reason,
            **nothing_due,
        )
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT, _CONFLICT, ["opportunityId"])
        if closing:
            await complete_open_activities(actor, opportunity_id=opportunity.id, at=moved_at)
        await OpportunityEvent.create(
            opportunity=opportunity,
            kind=OpportunityEventKind.STAGE_CHANGED,
            actor=actor_user(actor),
            stage=stage,
            previous_stage=opportunity.stage,
            note=clean_note,
            at=moved_at,
        )
        # Every move, a manager's reopen of a won or lost one included.
        await outbox.publish(
            [
                await _opportunity_event(
                    outbox.OPPORTUNITY_STAGE_CHANGED,
                    opportunity,
                    [opportunity.owner_id],
                    stage=stage.value,
                    previousStage=opportunity.stage.value,
                )
            ]
        )
    return await Opportunity.get(id=opportunity.id)


@dataclass(frozen=True, slots=True)
class OpportunityChanges:
    """An edit: only the fields named in `given` change (a given None clears the value)."""

    given: frozenset[str]
    title: str | None = None
    expected_value: Decimal | None = None
    expected_close_date: date | None = None


async def update_opportunity(
    actor: Actor, opportunity_id: int, changes: OpportunityChanges
) -> Opportunity:
    """Change the title, expected value or expected close date; the owner or a manager."""
    opportunity = await _opportunity_owned_by(actor, opportunity_id, "change")
    values: dict[str, object] = {}
    if "title" in changes.given:
        values["title"] = clean_text(changes.title, ["title"], max_length=NAME_MAX, required=True)
    if "expected_value" in changes.given:
        values["expected_value"] = clean_money(changes.expected_value, ["expectedValue"])
    if "expected_close_date" in changes.given:
        values["expected_close_date"] = changes.expected_close_date
    if not values:
        raise DomainError(ErrorCode.REQUIRED, "Give at least one value to change.", ["input"])
    async with in_transaction():
        # The contact's lock first (the erasure's order, `activities.lock_contact`), then the
        # row as it is now: the history note quotes the old title, which an erasure committed
        # since the read above has blanked. Guarded by the owner read above: a hand-over in
        # between would make the permission check stale.
        await lock_contact(opportunity.contact_id)
        current = (
            await Opportunity.filter(id=opportunity.id, owner_id=opportunity.owner_id)
            .select_for_update(no_key=True)
            .first()
        )
        if current is None:
            raise DomainError(ErrorCode.CONFLICT, _CONFLICT, ["opportunityId"])
        described = [
            f"{name}: {_shown(getattr(current, name))} -> {_shown(value)}"
            for name, value in values.items()
            if getattr(current, name) != value
        ]
        if not described:
            return current
        await Opportunity.filter(id=current.id).update(**values)
        await OpportunityEvent.create(
            opportunity=current,
            kind=OpportunityEventKind.UPDATED,
            actor=actor_user(actor),
            note="; ".join(described),
            at=clock.now(),
        )
    return await Opportunity.get(id=opportunity.id)


def _shown(value: object) -> str:
    return "-" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class PipelineFilter:
    owner_id: int | None = None
    campaign_id: int | None = None


@dataclass(frozen=True, slots=True)
class PipelineStage:
    stage: OpportunityStage
    count: int
    total_value: Decimal


async def pipeline(actor: Actor, pipeline_filter: PipelineFilter) -> list[PipelineStage]:
    """Count and value sum per stage of the opportunities the actor sees (one row per stage,
    in stage order, zeros included); one GROUP BY query. The campaign is that of the lead the
    opportunity came from."""
    opportunities = filtered_opportunities(
        actor,
        OpportunityFilter(
            owner_id=pipeline_filter.owner_id, campaign_id=pipeline_filter.campaign_id
        ),
    )
    rows = (
        await opportunities.annotate(count=Count("id"), total=Sum("expected_value"))
        .group_by("stage")
        .values("stage", "count", "total")
    )
    by_stage = {OpportunityStage(row["stage"]): row for row in rows}
    figures = []
    for stage in OpportunityStage:
        row = by_stage.get(stage)
        figures.append(
            PipelineStage(
                stage=stage,
                count=int(row["count"]) if row else 0,
                total_value=_money(row["total"] if row else None),
            )
        )
    return figures


def _money(total: object) -> Decimal:
    # SQLite sums the stored decimals as floats: two decimal places make it exact again.
    return Decimal(str(total if total is not None else 0)).quantize(Decimal("0.01"))
