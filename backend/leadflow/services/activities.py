"""Follow-ups ("Nächster Schritt"): activities planned on a lead or an opportunity, completed
(with the next step planned in the same go) and rescheduled. Every change writes the subject's
history and recomputes its `next_due_at` (the earliest open activity's due time) in the same
transaction; the lead and opportunity services call the hooks at the bottom when a close, a
reassignment or a hand-over changes what is open or whose it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import cast

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor, actor_user
from leadflow.db.enums import ActivityKind, LeadEventKind, OpportunityEventKind
from leadflow.db.models import (
    NOTE_MAX,
    Activity,
    Contact,
    Lead,
    LeadEvent,
    Opportunity,
    OpportunityEvent,
    User,
)
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services import audit, outbox
from leadflow.services.moments import utc_moment
from leadflow.services.users import require_active_clerk
from leadflow.services.validation import clean_text

# How far back and ahead a due time may lie: a typo in the year is a user error, not a task
# that sorts before or after everything else for ever.
DUE_PAST_LIMIT = timedelta(days=366)
DUE_FUTURE_LIMIT = timedelta(days=3660)

# The kinds that reach the person: refused while their contact objected (consent).
CONTACTING_KINDS = frozenset({ActivityKind.CALL, ActivityKind.EMAIL})
_OPTED_OUT = "This person objected to being contacted: no calls or e-mails; a manager may override."

_CONFLICT = "Someone else changed this at the same moment; nothing was saved. Reload and retry."


class SubjectKind(StrEnum):
    LEAD = "LEAD"
    OPPORTUNITY = "OPPORTUNITY"


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """What an activity is about, by key: a lead or an opportunity."""

    kind: SubjectKind
    id: int


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """An activity to plan, as the caller gave it (checked by the service). Without an
    assignee it goes to the subject's clerk (the lead's assignee, the opportunity's owner).
    `override_opt_out`: a manager plans a call or an e-mail to a person who objected."""

    kind: ActivityKind
    due_at: datetime
    note: str | None = None
    assignee_id: int | None = None
    override_opt_out: bool = False


@dataclass(frozen=True, slots=True)
class CompletedActivity:
    activity: Activity
    next_activity: Activity | None


@dataclass(frozen=True, slots=True)
class _CheckedStep:
    kind: ActivityKind
    due_at: datetime
    note: str
    assignee_id: int
    # A manager's override of the contact's objection (asked for and allowed): audited when
    # it is used, i.e. the contact objected when the step is stored.
    override_opt_out: bool = False
    # Where the step came in (["next"] for completeActivity's next step): the field of a refusal
    # found only when storing it.
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Subject:
    """A loaded lead or opportunity, with what the activity rules ask of either."""

    lead: Lead | None = None
    opportunity: Opportunity | None = None

    @property
    def clerk_id(self) -> int | None:
        """Who works on it: the lead's clerk (None while NEW), the opportunity's owner."""
        if self.lead is not None:
            return self.lead.assignee_id
        assert self.opportunity is not None
        return self.opportunity.owner_id

    @property
    def model(self) -> Lead | Opportunity:
        model = self.lead if self.lead is not None else self.opportunity
        assert model is not None
        return model

    @property
    def contact_id(self) -> int:
        return self.model.contact_id

    @property
    def is_closed(self) -> bool:
        # For both, closed_at is set exactly while closed (a DONE lead; a WON or LOST
        # opportunity: move_opportunity sets and clears it with the stage).
        return self.model.closed_at is not None

    @property
    def noun(self) -> str:
        return "lead" if self.lead is not None else "opportunity"

    def may_be_worked_on_by(self, user: User) -> bool:
        """Whether `user` may plan, complete and move this subject's activities (the same
        rule as for the actor): the lead's clerk, the opportunity's owner, or a manager."""
        try:
            if self.lead is not None:
                policy.require_may_plan_on_lead(user, self.lead)
            else:
                assert self.opportunity is not None
                policy.require_may_plan_on_opportunity(user, self.opportunity)
        except AccessDenied:
            return False
        return True

    def activities(self) -> QuerySet[Activity]:
        if self.lead is not None:
            return Activity.filter(lead_id=self.lead.id)
        assert self.opportunity is not None
        return Activity.filter(opportunity_id=self.opportunity.id)

    async def lock_unchanged(self, field: str) -> None:
        """Inside the transaction: the subject is still open and still with the clerk whose
        permission was checked, and its row is locked, so that concurrent changes of its
        activities take turns and each one's `next_due_at` sees the others' (SQLite
        serialises writers anyway). A close, reassignment or hand-over in between wins: CONFLICT
        on `field`, the input that named the subject or the activity.

        Lock order (PostgreSQL): the subject's CONTACT first, then the lead or opportunity
        row, as the erasure (contact, then its leads and opportunities) and `close_lead` take
        them; the other order deadlocks with an erasure. So an erasure running now is waited
        for (and its objection and blanked contact are read), or it waits for this step and
        then blanks the step's note."""
        await lock_contact(self.contact_id)
        if self.lead is not None:
            leads = Lead.filter(id=self.lead.id, closed_at=None, assignee_id=self.lead.assignee_id)
            unchanged = await leads.select_for_update().first() is not None
        else:
            assert self.opportunity is not None
            opportunities = Opportunity.filter(
                id=self.opportunity.id, closed_at=None, owner_id=self.opportunity.owner_id
            )
            unchanged = await opportunities.select_for_update().first() is not None
        if not unchanged:
            raise DomainError(ErrorCode.CONFLICT, _CONFLICT, [field])

    async def record(
        self, kind: LeadEventKind, actor: Actor, activity: Activity, note: str, at: datetime
    ) -> None:
        """The history entry; the lead and opportunity kinds share their names."""
        user = actor_user(actor)
        if self.lead is not None:
            await LeadEvent.create(
                lead_id=self.lead.id, kind=kind, actor=user, activity=activity, note=note, at=at
            )
            return
        assert self.opportunity is not None
        await OpportunityEvent.create(
            opportunity_id=self.opportunity.id,
            kind=OpportunityEventKind(kind.value),
            actor=user,
            activity=activity,
            note=note,
            at=at,
        )

    async def announce_change(self, activity_id: int) -> None:
        """A lead's next steps changed: its clerk's task list (due state, order) and the lead
        page update live (`outbox.LEAD_CHANGED`). Opportunities have no live list yet."""
        if self.lead is None:
            return
        assignee_id = self.lead.assignee_id
        await outbox.publish(
            [
                outbox.Event(
                    outbox.LEAD_CHANGED,
                    lead_id=self.lead.id,
                    campaign_id=self.lead.campaign_id,
                    user_ids=[assignee_id] if assignee_id is not None else [],
                    payload={"change": "activity", "activityId": activity_id},
                )
            ]
        )

    async def recompute_next_due(self) -> None:
        """next_due_at := the earliest open activity's due time (NULL when none); under the
        row lock of `lock_unchanged`, so no concurrent change of the activities slips by."""
        earliest = (
            await self.activities()
            .filter(done_at=None)
            .order_by("due_at")
            .first()
            .values_list("due_at", flat=True)
        )
        if self.lead is not None:
            await Lead.filter(id=self.lead.id).update(next_due_at=earliest)
        else:
            assert self.opportunity is not None
            await Opportunity.filter(id=self.opportunity.id).update(next_due_at=earliest)


# ---------------------------------------------------------------------------------------------
# Use cases


async def schedule_activity(
    actor: Actor,
    subject: SubjectRef,
    kind: ActivityKind,
    due_at: datetime,
    note: str | None = None,
    assignee_id: int | None = None,
    *,
    override_opt_out: bool = False,
) -> Activity:
    """Plan a next step on an open lead or opportunity: its clerk or a manager. Without an
    assignee it goes to the subject's clerk; a NEW lead has none, so a manager planning on
    one names who does it (rather than it silently landing on the manager). The assignee is
    someone who may work on the subject: its clerk (the opportunity's owner) or a manager;
    on a NEW lead, which clerks do not see, a manager. A CALL or EMAIL for a contact who
    opted out is refused (OPTED_OUT) unless a manager overrides it (audited)."""
    target = await _subject(actor, subject)
    if target.is_closed:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "Nothing can be planned on a closed lead or opportunity.",
            ["subjectId"],
        )
    step = await _checked_step(
        actor,
        target,
        PlannedStep(kind, due_at, note, assignee_id, override_opt_out),
        path=[],
        fallback=None,
    )
    async with in_transaction():
        await target.lock_unchanged("subjectId")
        activity = await _store(actor, target, step, clock.now())
        await target.recompute_next_due()
        await target.announce_change(activity.id)
    return activity


async def complete_activity(
    actor: Actor, activity_id: int, note: str | None = None, next_step: PlannedStep | None = None
) -> CompletedActivity:
    """Mark an open activity done (with what came of it) and, in the same transaction, plan
    the next step. Of two completions at the same moment one wins, the other gets CONFLICT."""
    activity = await _activity(activity_id)
    target = await _subject_of(actor, activity)
    _require_open(activity)
    done_note = clean_text(note, ["note"], max_length=NOTE_MAX)
    step = None
    if next_step is not None:
        step = await _checked_step(
            actor, target, next_step, path=["next"], fallback=activity.assignee_id
        )
    done_at = clock.now()
    async with in_transaction():
        await target.lock_unchanged("activityId")
        # Compare-and-set on "still open": the second of two completions changes nothing.
        changed = await Activity.filter(id=activity.id, done_at=None).update(
            done_at=done_at, done_note=done_note, done_by_id=_user_id(actor)
        )
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT, _CONFLICT, ["activityId"])
        await target.record(LeadEventKind.ACTIVITY_COMPLETED, actor, activity, done_note, done_at)
        next_activity = await _store(actor, target, step, done_at) if step else None
        await target.recompute_next_due()
        await target.announce_change(activity.id)
    return CompletedActivity(
        activity=await Activity.get(id=activity.id), next_activity=next_activity
    )


async def reschedule_activity(actor: Actor, activity_id: int, due_at: datetime) -> Activity:
    """Move an open activity to another time; the history keeps the old and the new one."""
    activity = await _activity(activity_id)
    target = await _subject_of(actor, activity)
    _require_open(activity)
    new_due = _clean_due(due_at, ["dueAt"])
    if new_due == activity.due_at:
        raise DomainError(ErrorCode.INVALID, "The activity is due at that time already.", ["dueAt"])
    moved_at = clock.now()
    async with in_transaction():
        await target.lock_unchanged("activityId")
        # Compare-and-set on the due time and state read: a concurrent move or completion wins.
        changed = await Activity.filter(
            id=activity.id, done_at=None, due_at=activity.due_at
        ).update(due_at=new_due)
        if changed != 1:
            raise DomainError(ErrorCode.CONFLICT, _CONFLICT, ["activityId"])
        moved = f"{_iso(activity.due_at)} -> {_iso(new_due)}"
        await target.record(LeadEventKind.ACTIVITY_RESCHEDULED, actor, activity, moved, moved_at)
        await target.recompute_next_due()
        await target.announce_change(activity.id)
    return await Activity.get(id=activity.id)


async def get_activity(actor: Actor, activity_id: int) -> Activity:
    """One activity, for whoever may see its lead or opportunity (`node(id:)`)."""
    missing = DomainError(ErrorCode.NOT_FOUND, "This activity does not exist.", ["id"])
    return await policy.find_activity(actor, activity_id, missing)


# ---------------------------------------------------------------------------------------------
# Hooks: run inside the transaction of a close, a reassignment or a hand-over


async def complete_open_activities(
    actor: Actor, *, lead_id: int | None = None, opportunity_id: int | None = None, at: datetime
) -> None:
    """Closing a lead, winning or losing an opportunity: its open activities are done then,
    by the closer, each with its ACTIVITY_COMPLETED entry in the history. The caller's guarded
    UPDATE of the subject sets its next_due_at to NULL (and holds its row: the concurrent
    activity changes wait, then find it closed)."""
    activity_ids = await _ids_of(_open_activities_of(lead_id, opportunity_id))
    if not activity_ids:
        return
    await Activity.filter(id__in=activity_ids).update(done_at=at, done_by_id=_user_id(actor))
    await _record_each(
        LeadEventKind.ACTIVITY_COMPLETED,
        actor,
        activity_ids,
        lead_id=lead_id,
        opportunity_id=opportunity_id,
        at=at,
    )


async def hand_over_open_activities(
    actor: Actor,
    *,
    lead_id: int | None = None,
    opportunity_id: int | None = None,
    previous_clerk_id: int | None,
    clerk_id: int,
    at: datetime,
) -> None:
    """A reassignment or hand-over: the open activities the previous clerk was to do go to
    the new one (those assigned to someone else, e.g. a manager, stay). Each move is in the
    history as an ACTIVITY_RESCHEDULED by the actor, with the two people (the due time is
    unchanged): the note "previous -> new" by name, and on a lead's entry also its
    assignee/previousAssignee, on an opportunity's its owner/previousOwner."""
    if previous_clerk_id is None:
        return
    moving = _open_activities_of(lead_id, opportunity_id).filter(assignee_id=previous_clerk_id)
    activity_ids = await _ids_of(moving)
    if not activity_ids:
        return
    await Activity.filter(id__in=activity_ids).update(assignee_id=clerk_id)
    names = dict(await User.filter(id__in=[previous_clerk_id, clerk_id]).values_list("id", "name"))
    people = (
        {"assignee_id": clerk_id, "previous_assignee_id": previous_clerk_id}
        if lead_id is not None
        else {"owner_id": clerk_id, "previous_owner_id": previous_clerk_id}
    )
    await _record_each(
        LeadEventKind.ACTIVITY_RESCHEDULED,
        actor,
        activity_ids,
        lead_id=lead_id,
        opportunity_id=opportunity_id,
        at=at,
        note=f"{names[previous_clerk_id]} -> {names[clerk_id]}",
        **people,
    )


async def _ids_of(activities: QuerySet[Activity]) -> list[int]:
    ids = await activities.order_by("due_at", "id").values_list("id", flat=True)
    return cast(list[int], ids)  # flat=True: the ids themselves, not 1-tuples


async def _record_each(
    kind: LeadEventKind,
    actor: Actor,
    activity_ids: list[int],
    *,
    lead_id: int | None,
    opportunity_id: int | None,
    at: datetime,
    note: str = "",
    **people: int,
) -> None:
    """One history entry per activity (a hook's changes, like the use cases' own)."""
    user = actor_user(actor)
    if lead_id is not None:
        await LeadEvent.bulk_create(
            [
                LeadEvent(
                    lead_id=lead_id,
                    kind=kind,
                    actor=user,
                    activity_id=activity_id,
                    note=note,
                    at=at,
                    **people,
                )
                for activity_id in activity_ids
            ]
        )
        return
    await OpportunityEvent.bulk_create(
        [
            OpportunityEvent(
                opportunity_id=opportunity_id,
                kind=OpportunityEventKind(kind.value),
                actor=user,
                activity_id=activity_id,
                note=note,
                at=at,
                **people,
            )
            for activity_id in activity_ids
        ]
    )


def _open_activities_of(lead_id: int | None, opportunity_id: int | None) -> QuerySet[Activity]:
    if (lead_id is None) == (opportunity_id is None):
        raise ValueError("Give a lead or an opportunity, not both.")
    if lead_id is not None:
        return Activity.filter(lead_id=lead_id, done_at=None)
    return Activity.filter(opportunity_id=opportunity_id, done_at=None)


# ---------------------------------------------------------------------------------------------
# Checks and steps


async def _subject(actor: Actor, subject: SubjectRef) -> _Subject:
    """The lead or opportunity to plan on, when the actor may plan on it."""
    if subject.kind is SubjectKind.LEAD:
        lead = await Lead.get_or_none(id=subject.id)
        if lead is None:
            raise DomainError(ErrorCode.NOT_FOUND, "This lead does not exist.", ["subjectId"])
        policy.require_may_plan_on_lead(actor, lead)
        return _Subject(lead=lead)
    opportunity = await Opportunity.get_or_none(id=subject.id)
    if opportunity is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This opportunity does not exist.", ["subjectId"])
    policy.require_may_plan_on_opportunity(actor, opportunity)
    return _Subject(opportunity=opportunity)


async def _subject_of(actor: Actor, activity: Activity) -> _Subject:
    """The activity's lead or opportunity, when the actor may work on its activities."""
    if activity.lead_id is not None:
        lead = await Lead.get(id=activity.lead_id)
        policy.require_may_plan_on_lead(actor, lead)
        return _Subject(lead=lead)
    assert activity.opportunity_id is not None
    opportunity = await Opportunity.get(id=activity.opportunity_id)
    policy.require_may_plan_on_opportunity(actor, opportunity)
    return _Subject(opportunity=opportunity)


async def _activity(activity_id: int) -> Activity:
    activity = await Activity.get_or_none(id=activity_id)
    if activity is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This activity does not exist.", ["activityId"])
    return activity


def _require_open(activity: Activity) -> None:
    if activity.done_at is not None:
        raise DomainError(
            ErrorCode.INVALID_STATE, "This activity is completed already.", ["activityId"]
        )


async def _checked_step(
    actor: Actor, target: _Subject, step: PlannedStep, *, path: list[str], fallback: int | None
) -> _CheckedStep:
    """The step's values cleaned; `fallback` is the assignee when the subject has no clerk
    (the next step after one on a NEW lead goes to whoever did that one)."""
    if actor_user(actor) is None:
        raise AccessDenied("Only a user can plan activities.")
    await _require_reachable(actor, target, step, path)
    due_at = _clean_due(step.due_at, [*path, "dueAt"])
    note = clean_text(step.note, [*path, "note"], max_length=NOTE_MAX)
    assignee_id = await _assignee_id(actor, target, step.assignee_id, [*path, "assigneeId"])
    if assignee_id is None:
        assignee_id = fallback
    if assignee_id is None:
        raise DomainError(
            ErrorCode.REQUIRED,
            "This lead has no clerk yet: choose who does it.",
            [*path, "assigneeId"],
        )
    return _CheckedStep(
        kind=step.kind,
        due_at=due_at,
        note=note,
        assignee_id=assignee_id,
        override_opt_out=step.override_opt_out,
        path=tuple(path),
    )


async def _require_reachable(
    actor: Actor, target: _Subject, step: PlannedStep, path: list[str]
) -> None:
    """Consent, before the step's other checks: a new call or e-mail for a person who objected
    is refused, unless a manager overrides it. Asking for an override is a manager's right
    even where none is needed, so a clerk asking gets FORBIDDEN either way. Meetings and tasks
    stay allowed (the person may ask for a meeting; a task is the house's own work). Checked
    again when the step is stored (`_objection_overridden`)."""
    if step.override_opt_out:
        policy.require_may_override_opt_out(actor)
    if step.kind not in CONTACTING_KINDS or step.override_opt_out:
        return
    if await Contact.filter(id=target.contact_id, opted_out=True).exists():
        raise DomainError(ErrorCode.OPTED_OUT, _OPTED_OUT, [*path, "kind"])


async def _assignee_id(
    actor: Actor, target: _Subject, assignee_id: int | None, field: list[str]
) -> int | None:
    if assignee_id is None or assignee_id == target.clerk_id:
        return target.clerk_id
    assignee = await _chosen_assignee(actor, assignee_id, field)
    # A step goes to someone who may work on it: otherwise it would be theirs to do on a lead
    # they cannot open (another clerk's lead; a NEW lead, which only managers see).
    if not target.may_be_worked_on_by(assignee):
        raise DomainError(
            ErrorCode.INVALID,
            f"{assignee.name} cannot work on this {target.noun}: a step goes to its clerk or to "
            "a manager.",
            field,
        )
    return assignee.id


async def _chosen_assignee(actor: Actor, assignee_id: int, field: list[str]) -> User:
    """Who was named, as far as the actor may learn: managers any active user who works with
    leads (themselves too), clerks only active clerks (as with leads). Whether that user may
    work on the subject is `_assignee_id`'s check."""
    if not policy.is_manager(actor):
        return await require_active_clerk(actor, assignee_id, field)
    user = await User.get_or_none(id=assignee_id)
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", field)
    if user.role not in policy.WORKING_ROLES:
        raise DomainError(ErrorCode.INVALID, f"{user.name} does not work on leads.", field)
    if not user.active:
        raise DomainError(ErrorCode.INVALID, f"{user.name} is deactivated.", field)
    return user


def _clean_due(due_at: datetime, field: list[str]) -> datetime:
    """A moment (with its offset: what "9:00" means depends on the zone), within limits."""
    due = utc_moment(due_at, field)
    now = clock.now()
    if not now - DUE_PAST_LIMIT <= due <= now + DUE_FUTURE_LIMIT:
        raise DomainError(
            ErrorCode.INVALID,
            "The due time must lie within a year back and ten years ahead.",
            field,
        )
    return due


async def _store(actor: Actor, target: _Subject, step: _CheckedStep, at: datetime) -> Activity:
    """Insert a checked activity with its history entry (inside the caller's transaction)."""
    overridden = await _objection_overridden(target, step)
    activity = await Activity.create(
        kind=step.kind,
        due_at=step.due_at,
        note=step.note,
        assignee_id=step.assignee_id,
        lead_id=target.lead.id if target.lead is not None else None,
        opportunity_id=target.opportunity.id if target.opportunity is not None else None,
        created_by_id=_user_id(actor),
        created_at=at,
    )
    await target.record(LeadEventKind.ACTIVITY_SCHEDULED, actor, activity, step.note, at)
    if overridden:
        await audit.record(
            audit.AuditAction.OPT_OUT_OVERRIDDEN,
            actor=actor,
            detail=f"{step.kind.value} activity {activity.id} on {target.noun} "
            f"{target.model.id} for contact {target.contact_id}, who opted out",
        )
    return activity


async def _objection_overridden(target: _Subject, step: _CheckedStep) -> bool:
    """The consent check where it counts, inside the transaction that stores the step: an
    objection recorded since `_checked_step` looked wins, unless the manager's override was
    asked for (True: it is used, and audited). The contact's row is locked already
    (`_Subject.lock_unchanged` takes it before the subject's), so a `setContactOptOut` or an
    erasure running now was waited for and its value is read here; SQLite serialises writers
    anyway."""
    if step.kind not in CONTACTING_KINDS:
        return False
    contact = await Contact.filter(id=target.contact_id).only("id", "opted_out").first()
    if contact is None or not contact.opted_out:
        return False
    if not step.override_opt_out:
        raise DomainError(ErrorCode.OPTED_OUT, _OPTED_OUT, [*step.path, "kind"])
    return True


async def lock_contact(contact_id: int) -> Contact | None:
    """The contact as it is now, under its row lock (PostgreSQL: FOR NO KEY UPDATE, which a
    new row's foreign-key check does not wait for; SQLite serialises writers anyway); None
    when it does not exist. The rule: a transaction that writes about a contact's lead or
    opportunity and reads the contact's current data, or must not race an erasure, takes
    this lock FIRST, then the lead or opportunity rows (the erasure's order)."""
    return await Contact.filter(id=contact_id).select_for_update(no_key=True).first()


def _user_id(actor: Actor) -> int | None:
    user = actor_user(actor)
    return user.id if user is not None else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
