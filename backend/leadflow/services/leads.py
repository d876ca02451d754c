"""The lead lifecycle: intake, distribution to clerks, feedback, closing, reopening."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor, actor_user
from leadflow.db.enums import (
    Channel,
    CloseReason,
    LeadEventKind,
    LeadStatus,
    Outcome,
)
from leadflow.db.lead_status import status_condition
from leadflow.db.models import (
    ASSIGNMENT_REASON_MAX,
    EMAIL_MAX,
    NAME_MAX,
    NOTE_MAX,
    SHORT_MAX,
    Campaign,
    Contact,
    Feedback,
    Lead,
    LeadEvent,
    Opportunity,
    User,
)
from leadflow.errors import AccessDenied, DomainError, DomainErrors, ErrorCode
from leadflow.services import distribution, notifications, outbox
from leadflow.services.activities import (
    complete_open_activities,
    hand_over_open_activities,
    lock_contact,
)
from leadflow.services.bulk_intake import store_intakes
from leadflow.services.campaigns import campaign_by_id

# The lists moved to lead_lists; their names stay importable from here (explicit re-exports).
from leadflow.services.lead_lists import LeadCounts as LeadCounts
from leadflow.services.lead_lists import LeadFilter as LeadFilter
from leadflow.services.lead_lists import filtered_leads as filtered_leads
from leadflow.services.lead_lists import lead_counts as lead_counts
from leadflow.services.lead_lists import my_tasks as my_tasks
from leadflow.services.opportunities import NewOpportunity, store_opportunity
from leadflow.services.privacy.suppression import suppressed_fields, suppressed_message
from leadflow.services.privacy.traces import ERASED_MARK
from leadflow.services.users import active_clerks, require_active_clerk
from leadflow.services.validation import (
    clean_email,
    clean_money,
    clean_text,
    phone_key,
)

MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class LeadIntake:
    """One lead as it arrives: the contact's details."""

    last_name: str
    first_name: str | None = None
    salutation: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class OpportunityDraft:
    """Optional details for the opportunity a successful close creates."""

    title: str | None = None
    expected_value: Decimal | None = None
    owner_id: int | None = None


@dataclass(frozen=True, slots=True)
class CloseResult:
    lead: Lead
    opportunity: Opportunity | None


# ---------------------------------------------------------------------------------------------
# Reading (the lists: `leadflow.services.lead_lists`)


async def get_lead(actor: Actor, lead_id: int) -> Lead:
    """One lead, under the rule of `policy.visible_leads`."""
    missing = DomainError(ErrorCode.NOT_FOUND, f"Lead {lead_id} does not exist.", ["id"])
    return await policy.find_lead(actor, lead_id, missing)


def require_lead_visible(actor: Actor, lead: Lead | Mapping[str, Any]) -> None:
    """A lead already loaded (a model, or a value row with `assignee_id` and `created_by_id`)
    against the rule of `policy.visible_leads`, without a query."""
    policy.require_lead_visible(actor, lead)


# ---------------------------------------------------------------------------------------------
# Intake


async def create_leads(actor: Actor, campaign_id: int, intakes: Sequence[LeadIntake]) -> list[Lead]:
    """Bulk intake, all or nothing. A known email reuses its contact, and an open lead for the
    same contact in the same campaign is returned instead of duplicated, so a partner may
    safely resend a batch."""
    await policy.require_may_add_leads(actor)
    if not intakes:
        raise DomainError(ErrorCode.REQUIRED, "Provide at least one lead.", ["leads"])
    if len(intakes) > MAX_BATCH:
        raise DomainError(
            ErrorCode.TOO_MANY,
            f"At most {MAX_BATCH} leads per call ({len(intakes)} given).",
            ["leads"],
        )
    campaign = await campaign_by_id(campaign_id, ["campaignId"])
    await policy.require_may_add_leads(actor, campaign)
    contacts = _clean_intakes(intakes)
    try:
        return await _store_leads(actor, campaign, contacts)
    except IntegrityError:
        # A concurrent intake created one of our new contacts first; now it exists and is reused.
        return await _store_leads(actor, campaign, contacts)


def _clean_intakes(intakes: Sequence[LeadIntake]) -> list[dict[str, str | None]]:
    cleaned, errors = [], []
    for index, intake in enumerate(intakes):
        try:
            cleaned.append(clean_intake(intake, ["leads", str(index)]))
        except DomainErrors as row_errors:
            errors.extend(row_errors.errors)
    if errors:
        raise DomainErrors(errors)
    return cleaned


def clean_intake(intake: LeadIntake, path: list[str]) -> dict[str, str | None]:
    """The contact's columns, cleaned; every problem of the intake at once (DomainErrors)."""
    contact: dict[str, str | None] = {}
    errors: list[DomainError] = []
    for column, clean in _INTAKE_CLEANERS.items():
        try:
            contact[column] = clean(getattr(intake, column), path)
        except DomainError as error:
            errors.append(error)
    if not errors and not contact["email"] and not phone_key(contact["phone"] or ""):
        errors.append(
            DomainError(
                ErrorCode.REQUIRED,
                "A lead needs an email address or a phone number to be contacted.",
                [*path, "email"],
            )
        )
    if errors:
        raise DomainErrors(errors)
    contact["email_key"] = contact["email"].lower() if contact["email"] else None
    contact["phone_key"] = phone_key(contact["phone"] or "")
    return contact


_Cleaner = Callable[[str | None, list[str]], str | None]


def _text_cleaner(api_name: str, max_length: int, required: bool = False) -> _Cleaner:
    def clean(value: str | None, path: list[str]) -> str:
        return clean_text(value, [*path, api_name], max_length=max_length, required=required)

    return clean


_INTAKE_CLEANERS: dict[str, _Cleaner] = {
    "salutation": _text_cleaner("salutation", SHORT_MAX),
    "first_name": _text_cleaner("firstName", NAME_MAX),
    "last_name": _text_cleaner("lastName", NAME_MAX, required=True),
    "company": _text_cleaner("company", NAME_MAX),
    "email": lambda value, path: clean_email(value, [*path, "email"], max_length=EMAIL_MAX),
    "phone": _text_cleaner("phone", SHORT_MAX),
    "street": _text_cleaner("street", NAME_MAX),
    "postal_code": _text_cleaner("postalCode", 20),
    "city": _text_cleaner("city", NAME_MAX),
    "country": _text_cleaner("country", SHORT_MAX),
}


async def _store_leads(
    actor: Actor, campaign: Campaign, contacts: list[dict[str, str | None]]
) -> list[Lead]:
    async with in_transaction():
        await _refuse_suppressed(contacts)
        return [stored.lead for stored in await store_intakes(actor, campaign, contacts)]


async def _refuse_suppressed(contacts: list[dict[str, str | None]]) -> None:
    """An erased person on the suppression list is not stored again, by anyone: the whole
    call is refused (nothing stored), each such intake with SUPPRESSED on its email or phone."""
    suppressed = await suppressed_fields(contacts)
    if suppressed:
        raise DomainErrors(
            [
                DomainError(
                    ErrorCode.SUPPRESSED, suppressed_message(field), ["leads", str(index), field]
                )
                for index, field in sorted(suppressed.items())
            ]
        )


# ---------------------------------------------------------------------------------------------
# Distribution


async def assign_leads(actor: Actor, lead_ids: Sequence[int], assignee_id: int) -> list[Lead]:
    """ "An Bearbeiter verteilen": all selected NEW leads go to one clerk, or none does."""
    return await _leads_in_order(await assign_leads_by_id(actor, lead_ids, assignee_id))


async def assign_leads_by_id(actor: Actor, lead_ids: Sequence[int], assignee_id: int) -> list[int]:
    """`assign_leads`, returning the assigned leads' ids in the order given (each once): for a
    caller that reads the leads its own way (the API's rows), a thousand models less."""
    policy.require_manager(actor, "distribute leads")
    ids = distribution.checked_selection(lead_ids)
    assignee = await require_active_clerk(actor, assignee_id, ["assigneeId"])
    try:
        await _assign_new_leads(actor, ids, assignee)
    except _AssignConflict:
        # A lead that does not exist is not changed either: the explanation tells which
        # (leads are never deleted, so reading them after the rollback is as good as before).
        await distribution.require_leads_exist(lead_ids, ids)
        raise await explain_assign_conflict(lead_ids) from None
    return ids


async def _assign_new_leads(actor: Actor, ids: list[int], assignee: User) -> None:
    async with in_transaction():
        # The write locks the leads in id order itself (PostgreSQL; SQLite's transactions are
        # IMMEDIATE), so that two overlapping distributions cannot deadlock; the arbiter is the
        # UPDATE's own "still NEW" condition on each row (db.sql.write_assignments), which
        # PostgreSQL re-checks on a row changed meanwhile.
        try:
            await distribution.write_assignments(
                actor,
                [
                    distribution.NewAssignment(lead_id, assignee.id, distribution.MANUAL_REASON)
                    for lead_id in ids
                ],
            )
        except distribution.AssignConflict:
            raise _AssignConflict() from None


class _AssignConflict(Exception):
    """Raised inside the transaction to roll it back; turned into a DomainError outside."""


async def _leads_in_order(ids: list[int]) -> list[Lead]:
    by_id = {lead.id: lead for lead in await Lead.filter(id__in=ids)}
    return [by_id[lead_id] for lead_id in ids]


async def reassign_lead(actor: Actor, lead_id: int, assignee_id: int) -> Lead:
    policy.require_manager(actor, "reassign leads")
    lead = await _get_lead(lead_id)
    if lead.status is not LeadStatus.ACTIVE:
        raise _not_active(lead, "reassigned")
    assignee = await require_active_clerk(actor, assignee_id, ["assigneeId"])
    if assignee.id == lead.assignee_id:
        raise DomainError(
            ErrorCode.INVALID, f"The lead is already assigned to {assignee.name}.", ["assigneeId"]
        )
    reassigned_at = clock.now()
    previous = await User.get_or_none(id=lead.assignee_id) if lead.assignee_id else None
    reason = f"übertragen von {previous.name}" if previous else "übertragen"
    async with in_transaction():
        # The new clerk's wait starts now (see services.reports, "waiting").
        changed = await Lead.filter(
            id=lead.id, assignee_id=lead.assignee_id, closed_at=None
        ).update(
            assignee_id=assignee.id,
            assigned_at=reassigned_at,
            waiting_since=reassigned_at,
            assignment_reason=reason[:ASSIGNMENT_REASON_MAX],
        )
        if changed != 1:
            raise _changed_meanwhile()
        await LeadEvent.create(
            lead_id=lead.id,
            kind=LeadEventKind.REASSIGNED,
            actor=actor_user(actor),
            assignee=assignee,
            previous_assignee_id=lead.assignee_id,
            at=reassigned_at,
        )
        # The follow-ups the previous clerk was to do go with the lead.
        await hand_over_open_activities(
            actor,
            lead_id=lead.id,
            previous_clerk_id=lead.assignee_id,
            clerk_id=assignee.id,
            at=reassigned_at,
        )
        await outbox.publish(
            [
                _lead_event(
                    outbox.LEAD_REASSIGNED,
                    lead,
                    [assignee.id, *([lead.assignee_id] if lead.assignee_id else [])],
                    assigneeId=assignee.id,
                    previousAssigneeId=lead.assignee_id,
                )
            ]
        )
        await _notify_reassigned(actor, lead, lead.assignee_id, assignee.id)
    return await Lead.get(id=lead.id)


def _lead_event(topic: str, lead: Lead, user_ids: Sequence[int], **extra: object) -> outbox.Event:
    """An outbox event about one lead: ids only, never personal data."""
    payload: dict[str, object] = {"leadId": lead.id, "campaignId": lead.campaign_id, **extra}
    return outbox.Event(
        topic, lead_id=lead.id, campaign_id=lead.campaign_id, user_ids=user_ids, payload=payload
    )


def _clerk_of(lead: Lead) -> list[int]:
    return [lead.assignee_id] if lead.assignee_id is not None else []


async def _notify_reassigned(
    actor: Actor, lead: Lead, previous_clerk_id: int | None, new_clerk_id: int
) -> None:
    await notifications.notify_lead_reassigned(actor, lead, previous_clerk_id, new_clerk_id)


# ---------------------------------------------------------------------------------------------
# Working a lead


async def record_feedback(
    actor: Actor, lead_id: int, channel: Channel, note: str
) -> tuple[Feedback, Lead]:
    lead = await _get_lead(lead_id)
    policy.require_may_work_on_lead(actor, lead)
    if lead.status is not LeadStatus.ACTIVE:
        raise _not_active(lead, "given feedback")
    clean_note = clean_text(note, ["note"], max_length=NOTE_MAX, required=True)
    author = _feedback_author(actor)
    async with in_transaction():
        # The checks above must still hold at the write: a reassignment or close in between
        # wins (the row lock orders us after it on PostgreSQL; SQLite serialises writers).
        unchanged = (
            await Lead.filter(id=lead.id, assignee_id=lead.assignee_id, closed_at=None)
            .select_for_update()
            .first()
        )
        if unchanged is None:
            raise _changed_meanwhile()
        feedback = await Feedback.create(
            lead=lead, author=author, channel=channel, note=clean_note, created_at=clock.now()
        )
        # Reports read the first feedback from the lead; the guard keeps the earliest.
        await Lead.filter(id=lead.id, first_feedback_at=None).update(
            first_feedback_at=feedback.created_at
        )
        # The wait restarts with the feedback; the guard never moves it back.
        await Lead.filter(
            Q(waiting_since=None) | Q(waiting_since__lt=feedback.created_at), id=lead.id
        ).update(waiting_since=feedback.created_at)
        await LeadEvent.create(
            lead=lead,
            kind=LeadEventKind.FEEDBACK_RECORDED,
            actor=actor_user(actor),
            note=clean_note,
            at=feedback.created_at,
        )
        await outbox.publish(
            [
                _lead_event(
                    outbox.LEAD_FEEDBACK_RECORDED, lead, _clerk_of(lead), feedbackId=feedback.id
                )
            ]
        )
    return feedback, lead


async def close_lead(
    actor: Actor,
    lead_id: int,
    outcome: Outcome,
    reason: CloseReason | None = None,
    note: str | None = None,
    draft: OpportunityDraft | None = None,
) -> CloseResult:
    lead = await _get_lead(lead_id)
    policy.require_may_work_on_lead(actor, lead)
    if lead.status is not LeadStatus.ACTIVE:
        raise _not_active(lead, "closed")
    clean_note = clean_text(note, ["note"], max_length=NOTE_MAX)
    if outcome is Outcome.UNSUCCESSFUL and reason is None:
        raise DomainError(ErrorCode.REQUIRED, "An unsuccessful close needs a reason.", ["reason"])
    if outcome is Outcome.SUCCESSFUL and reason is not None:
        raise DomainError(
            ErrorCode.INVALID, "A reason is only given for unsuccessful closes.", ["reason"]
        )
    if outcome is Outcome.UNSUCCESSFUL and draft is not None:
        raise DomainError(
            ErrorCode.INVALID, "Only a successful close creates an opportunity.", ["opportunity"]
        )
    new_opportunity = (
        await _opportunity_for_close(actor, lead, draft or OpportunityDraft())
        if outcome is Outcome.SUCCESSFUL
        else None
    )
    closed_at = clock.now()
    async with in_transaction():
        # The contact first, then the lead (the erasure's order, see `activities.lock_contact`):
        # an erasure running now is waited for and its blanked contact read; one starting now
        # waits for the close and then blanks what it wrote.
        contact = await lock_contact(lead.contact_id)
        # The guard makes a second, concurrent close change nothing and fail.
        # Guarded on the assignee whose permission was checked: a reassignment in between wins.
        changed = await Lead.filter(
            id=lead.id, closed_at=None, assignee_id=lead.assignee_id
        ).update(
            outcome=outcome,
            close_reason=reason,
            close_note=clean_note,
            closed_at=closed_at,
            closed_by_id=_user_id(actor),
            next_due_at=None,
            # A closed lead waits for nobody: the lists sort it with the blanks (and carry no
            # hidden wait in their cursors); a reopen starts a new wait.
            waiting_since=None,
        )
        if changed != 1:
            raise _changed_meanwhile()
        # Nothing is left to do on a closed lead: its open follow-ups are done with the close.
        await complete_open_activities(actor, lead_id=lead.id, at=closed_at)
        await LeadEvent.create(
            lead=lead,
            kind=LeadEventKind.CLOSED,
            actor=actor_user(actor),
            outcome=outcome,
            close_reason=reason,
            note=clean_note,
            at=closed_at,
        )
        await outbox.publish([_lead_event(outbox.LEAD_CLOSED, lead, _clerk_of(lead))])
        # After the close's event: a receiver learns of the close before what it created.
        opportunity = None
        if new_opportunity is not None:
            assert contact is not None  # a lead's contact is never deleted
            titled = _titled(new_opportunity, lead, contact)
            opportunity = await store_opportunity(actor, titled)
    return CloseResult(lead=await Lead.get(id=lead.id), opportunity=opportunity)


async def reopen_lead(actor: Actor, lead_id: int, note: str | None = None) -> Lead:
    """ "Wieder öffnen" (managers): a DONE lead goes back to its last clerk if that user is
    still an active clerk (ACTIVE, waiting from now, as after an assignment), otherwise it is
    NEW again. The close is forgotten (outcome, reason, note, time, closer); the history keeps
    it, the firsts stay, and an opportunity the close created stays with its link to the lead.
    The rollup triggers take the change like any other ("minus the old row, plus the new")."""
    policy.require_manager(actor, "reopen leads")
    lead = await _get_lead(lead_id)
    if lead.status is not LeadStatus.DONE:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "Only closed leads can be reopened; this one is still open.",
            ["leadId"],
        )
    clean_note = clean_text(note, ["note"], max_length=NOTE_MAX)
    clerk_id = await _clerk_to_return_to(lead.assignee_id)
    reopened_at = clock.now()
    waiting_from = reopened_at if clerk_id is not None else None
    async with in_transaction():
        # Compare-and-set on the close that was read: a second, concurrent reopen (or a reopen
        # and close in between) changes nothing and fails.
        changed = await Lead.filter(
            id=lead.id, closed_at=lead.closed_at, assignee_id=lead.assignee_id
        ).update(
            outcome=None,
            close_reason=None,
            close_note="",
            closed_at=None,
            closed_by_id=None,
            assignee_id=clerk_id,
            assigned_at=waiting_from,
            waiting_since=waiting_from,
            # Back to the same clerk: the reason they got it stands; NEW again: none.
            assignment_reason=lead.assignment_reason if clerk_id is not None else None,
        )
        if changed != 1:
            raise _changed_meanwhile()
        await LeadEvent.create(
            lead_id=lead.id,
            kind=LeadEventKind.REOPENED,
            actor=actor_user(actor),
            assignee_id=clerk_id,
            note=clean_note,
            at=reopened_at,
        )
        await outbox.publish(
            [
                _lead_event(
                    outbox.LEAD_REOPENED,
                    lead,
                    [clerk_id] if clerk_id is not None else [],
                    assigneeId=clerk_id,
                )
            ]
        )
    return await Lead.get(id=lead.id)


async def _clerk_to_return_to(assignee_id: int | None) -> int | None:
    """The lead's last clerk, if that user may still work on leads."""
    if assignee_id is None:
        return None
    still_clerk = await active_clerks().filter(id=assignee_id).exists()
    return assignee_id if still_clerk else None


async def _opportunity_for_close(
    actor: Actor, lead: Lead, draft: OpportunityDraft
) -> NewOpportunity:
    """The opportunity a successful close creates, checked before the close's transaction;
    its title is the draft's, or empty: `_titled` names it from the contact as locked."""
    field = ["opportunity"]
    await lead.fetch_related("campaign")
    title = clean_text(draft.title, [*field, "title"], max_length=NAME_MAX)
    owner_id = draft.owner_id if draft.owner_id is not None else lead.assignee_id
    assert owner_id is not None  # an ACTIVE lead has an assignee
    owner = await require_active_clerk(actor, owner_id, [*field, "ownerId"])
    return NewOpportunity(
        title=title,
        contact_id=lead.contact_id,
        owner_id=owner.id,
        expected_value=clean_money(draft.expected_value, [*field, "expectedValue"]),
        lead_id=lead.id,
    )


def _titled(new: NewOpportunity, lead: Lead, contact: Contact) -> NewOpportunity:
    """The default title "{campaign}: {first} {last} ({company})", built inside the close's
    transaction from the contact read under its lock, so an erasure committed since the
    close's checks is seen: an erased person's opportunity gets the erasure's marker title,
    as the erasure gives their existing ones. A title the user gave stays."""
    if new.title:
        return new
    if contact.erased_at is not None:
        return replace(new, title=ERASED_MARK)
    return replace(new, title=f"{lead.campaign.name}: {_contact_name(contact)}"[:NAME_MAX])


def _contact_name(contact: Contact) -> str:
    name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    return f"{name} ({contact.company})" if contact.company else name


def _user_id(actor: Actor) -> int | None:
    """Who to store as the author of a row: the user, or nobody for the system."""
    user = actor_user(actor)
    return user.id if user is not None else None


def _feedback_author(actor: Actor) -> User:
    """Feedback is what a person heard from the contact: the system gives none."""
    author = actor_user(actor)
    if author is None:
        raise AccessDenied("Only a user can record feedback.")
    return author


async def _get_lead(lead_id: int) -> Lead:
    lead = await Lead.get_or_none(id=lead_id)
    if lead is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This lead does not exist.", ["leadId"])
    return lead


def _not_active(lead: Lead, action: str) -> DomainError:
    state = "still new (no clerk assigned)" if lead.status is LeadStatus.NEW else "closed"
    return DomainError(
        ErrorCode.INVALID_STATE,
        f"Only active leads can be {action}; this one is {state}.",
        ["leadId"],
    )


def _changed_meanwhile() -> DomainError:
    return DomainError(
        ErrorCode.CONFLICT,
        "Someone else changed this lead at the same moment; reload it and try again.",
        ["leadId"],
    )


async def explain_assign_conflict(lead_ids: Sequence[int]) -> DomainErrors:
    """After a lost race: one CONFLICT per lead that is no longer NEW, pointing at its
    position in the caller's list."""
    taken = (
        await Lead.filter(id__in=list(lead_ids))
        .filter(~status_condition(LeadStatus.NEW))
        .select_related("assignee")
        .order_by("id")
    )
    errors = [
        DomainError(
            ErrorCode.CONFLICT,
            f"Lead #{lead.id} is no longer new: {_taken_how(lead)}. Nothing was assigned.",
            ["leadIds", str(_position(lead_ids, lead.id))],
        )
        for lead in taken
    ]
    if not errors:  # changed back meanwhile, which leads cannot do; still report the conflict
        errors = [DomainError(ErrorCode.CONFLICT, "The leads changed meanwhile.", ["leadIds"])]
    return DomainErrors(errors)


def _taken_how(lead: Lead) -> str:
    if lead.closed_at is not None:
        return "it is closed"
    assert lead.assignee is not None
    return f"someone else was faster and gave it to {lead.assignee.name}"


def _position(lead_ids: Sequence[int], lead_id: int) -> int:
    return list(lead_ids).index(lead_id)
