"""Smart distribution: NEW leads to several clerks by a strategy, with a reason per lead.

Three parts:
- `write_assignments`, the one writer of first assignments (manual `assignLeads`,
  `distributeLeads`, a campaign's automatic distribution): guarded bulk UPDATEs (only leads
  still NEW change), the reason per lead, history, outbox events and notifications, all in the
  caller's transaction;
- `plan`, a pure function: leads, clerks with their loads, strategy and round-robin pointers
  in, assignments and skipped leads with German reasons out. The preview and the real run both
  call it, on the same reads, so the preview is what the run does if nothing changed;
- `distribute` (the use case) and `distribute_new_leads` (automatic distribution at intake).

Reasons are stored as German text (the product's language; `Lead.assignment_reason`), so the
lead says why it was given to its clerk whoever reads it later and whatever changed since.
This module must not import `services.leads` or `services.bulk_intake` (they import it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor, SystemActor, actor_user
from leadflow.db import sql
from leadflow.db.enums import DistributionStrategy, LeadEventKind, LeadStatus, Role
from leadflow.db.models import Absence, Campaign, CampaignDistribution, Lead, LeadEvent, User
from leadflow.errors import DomainError, DomainErrors, ErrorCode
from leadflow.services import notifications, outbox
from leadflow.services.lead_lists import LeadFilter, filtered_leads
from leadflow.services.users import open_lead_counts
from leadflow.services.validation import unique_ids

MAX_LEAD_IDS = 1000
# A filter run takes the first MAX_FILTERED matching NEW leads (oldest id first); the rest stay
# NEW for the next run. One call must stay one bounded transaction.
MAX_FILTERED = 10_000
MAX_CLERKS = 200
# Absences are calendar days of the company (a German sales team).
COMPANY_TIME_ZONE = ZoneInfo("Europe/Berlin")

# Who assigns at intake: the rule, not whoever (a partner, a manager, an import) sent the leads,
# so the history shows no user for it and the sender's notifications are not suppressed.
AUTOMATIC = SystemActor("distribution")

MANUAL_REASON = "manuell zugewiesen"
AUTOMATIC_PREFIX = "automatisch: "
NOBODY_AVAILABLE = "alle gewählten Bearbeiter sind abwesend oder voll"
CLOSED = "abgeschlossen"


def _ints(values: Iterable[Any]) -> set[int]:
    """A flat values_list as ints (tortoise types flat lists as tuples)."""
    return {int(value) for value in values}


def company_today() -> date:
    return clock.now().astimezone(COMPANY_TIME_ZONE).date()


# ---------------------------------------------------------------------------------------------
# Writing assignments


@dataclass(frozen=True, slots=True)
class NewAssignment:
    lead_id: int
    clerk_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class AssignedLead:
    """A lead as its assignment returned it: what the events and notifications need."""

    id: int
    campaign_id: int
    contact_id: int


class AssignConflict(Exception):
    """A lead was no longer NEW at the guarded UPDATE: raised inside the transaction so that it
    rolls back; callers turn it into a DomainError outside."""


async def write_assignments(
    actor: Actor, assignments: Sequence[NewAssignment], *, at: datetime | None = None
) -> None:
    """Assign each lead to its clerk, inside the caller's transaction. Only leads still NEW
    change (the condition is on the changed row itself, so it holds against a concurrent
    assignment); fewer rows changed than asked raises AssignConflict. Every column at once
    (clerk, reason, times; the first assignment's time kept), one history row and one
    `lead.assigned` event per lead, one notification per clerk: a fixed number of statements
    whatever the number of leads.

    PostgreSQL: one statement per 1,000 leads (`sql.write_recorded_assignments`), which also
    takes the row locks in id order (so that overlapping distributions cannot deadlock; a
    caller that locked them already loses nothing). SQLite (transactions IMMEDIATE, no row
    locks): the UPDATE, then one INSERT of the history rows and the events (`outbox.publish`)."""
    if not assignments:
        return
    assigned_at = at or clock.now()
    author = actor_user(actor)
    changed = await _write_recorded(assignments, assigned_at, author.id if author else None)
    # What the notifications need, as the UPDATE returned it (no model per lead).
    written = {row["id"]: AssignedLead(**row) for row in changed}
    by_clerk: dict[int, list[AssignedLead]] = {}
    for assignment in assignments:
        by_clerk.setdefault(assignment.clerk_id, []).append(written[assignment.lead_id])
    # One notification per clerk for the batch (services.notifications).
    await notifications.notify_leads_assigned(actor, by_clerk)


async def _write_recorded(
    assignments: Sequence[NewAssignment], assigned_at: datetime, author_id: int | None
) -> list[dict[str, Any]]:
    """The UPDATE with its history rows and events; the changed leads. AssignConflict (the
    caller rolls back what was written) when a lead was no longer NEW."""
    if sql.is_postgres():
        recorded = await sql.write_recorded_assignments(
            assignments,
            assigned_at,
            actor_id=author_id,
            history_kind=LeadEventKind.ASSIGNED.value,
            topic=outbox.LEAD_ASSIGNED,
        )
        if len(recorded.changed) != len(assignments):
            raise AssignConflict()
        assert recorded.last_event_id is not None
        await outbox.announce(recorded.last_event_id)
        return recorded.changed
    # A lead taken meanwhile is not changed, and the count tells.
    changed = await sql.write_assignments(assignments, assigned_at)
    if len(changed) != len(assignments):
        raise AssignConflict()
    await sql.insert_rows(
        LeadEvent,
        [
            {
                "lead_id": assignment.lead_id,
                "kind": LeadEventKind.ASSIGNED,
                "actor_id": author_id,
                "assignee_id": assignment.clerk_id,
                "at": assigned_at,
            }
            for assignment in assignments
        ],
    )
    campaigns = {row["id"]: row["campaign_id"] for row in changed}
    # The same events as PostgreSQL's statement writes (sql.write_recorded_assignments).
    await outbox.publish(
        outbox.Event(
            outbox.LEAD_ASSIGNED,
            lead_id=assignment.lead_id,
            campaign_id=campaigns[assignment.lead_id],
            user_ids=[assignment.clerk_id],
            payload={
                "leadId": assignment.lead_id,
                "campaignId": campaigns[assignment.lead_id],
                "assigneeId": assignment.clerk_id,
            },
        )
        for assignment in assignments
    )
    return changed


# ---------------------------------------------------------------------------------------------
# Planning (pure)


@dataclass(frozen=True, slots=True)
class ClerkLoad:
    """A chosen clerk as the planning sees them."""

    id: int
    name: str
    open_count: int
    capacity: int | None
    absent: bool
    active: bool = True


@dataclass(frozen=True, slots=True)
class LeadState:
    """A lead to distribute: its campaign, and who holds it if it is no longer NEW."""

    id: int
    campaign_id: int
    assignee_name: str | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    lead_id: int
    reason: str


@dataclass
class Plan:
    assignments: list[NewAssignment] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Per campaign: the clerk who got its last lead in this run (the new round-robin pointer).
    pointers: dict[int, int] = field(default_factory=dict)


def plan(
    leads: Sequence[LeadState],
    clerks: Sequence[ClerkLoad],
    strategy: DistributionStrategy,
    pointers: Mapping[int, int | None],
    *,
    prefix: str = "",
) -> Plan:
    """Who gets which lead, and why. Leads in id order; each to an available clerk (active,
    not absent today, below capacity counting what this run gave). LEAST_LOADED: the fewest
    open leads, ties in round-robin order; ROUND_ROBIN: the next clerk by ascending id after
    the campaign's pointer (the clerk who got its last lead). `prefix` marks automatic runs."""
    ordered = sorted(clerks, key=lambda clerk: clerk.id)
    names = {clerk.id: clerk.name for clerk in ordered}
    load = {clerk.id: clerk.open_count for clerk in ordered}
    last: dict[int, int | None] = dict(pointers)
    result = Plan()
    for lead in sorted(leads, key=lambda lead: lead.id):
        if lead.closed:
            result.skipped.append(Skipped(lead.id, CLOSED))
            continue
        if lead.assignee_name is not None:
            taken = f"nicht mehr neu: inzwischen {lead.assignee_name} zugewiesen"
            result.skipped.append(Skipped(lead.id, taken))
            continue
        turn = _in_turn(ordered, last.get(lead.campaign_id))
        available = [c for c in turn if _available(c, load[c.id])]
        if not available:
            result.skipped.append(Skipped(lead.id, NOBODY_AVAILABLE))
            continue
        if strategy is DistributionStrategy.LEAST_LOADED:
            chosen = min(available, key=lambda clerk: load[clerk.id])  # first of equals: in turn
            reason = _least_loaded_reason(chosen, load[chosen.id])
        else:
            chosen = available[0]
            reason = _round_robin_reason(chosen, names.get(last.get(lead.campaign_id) or 0))
        load[chosen.id] += 1
        last[lead.campaign_id] = chosen.id
        result.pointers[lead.campaign_id] = chosen.id
        result.assignments.append(NewAssignment(lead.id, chosen.id, prefix + reason))
    return result


def _in_turn(ordered: Sequence[ClerkLoad], pointer: int | None) -> list[ClerkLoad]:
    """The clerks by ascending id, starting after `pointer` (wrapping around)."""
    if pointer is None:
        return list(ordered)
    after = [clerk for clerk in ordered if clerk.id > pointer]
    return after + [clerk for clerk in ordered if clerk.id <= pointer]


def _available(clerk: ClerkLoad, load: int) -> bool:
    return clerk.active and not clerk.absent and (clerk.capacity is None or load < clerk.capacity)


def _least_loaded_reason(clerk: ClerkLoad, load: int) -> str:
    name = _short(clerk.name)
    if clerk.capacity is None:
        return f"{name}: {load} offen, am wenigsten ausgelastet"
    return f"{name}: {load} von {clerk.capacity} offen, am wenigsten ausgelastet"


def _round_robin_reason(clerk: ClerkLoad, previous: str | None) -> str:
    if previous is None:
        return f"{_short(clerk.name)}: reihum"
    return f"{_short(clerk.name)}: reihum (nach {_short(previous)})"


# A reason names up to two clerks (names may be 200 characters) and must fit
# Lead.assignment_reason (300): longer names are shortened in the reason only.
_NAME_IN_REASON_MAX = 80


def _short(name: str) -> str:
    if len(name) <= _NAME_IN_REASON_MAX:
        return name
    return name[: _NAME_IN_REASON_MAX - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Reading what the planning needs


async def clerk_loads(clerk_ids: Sequence[int], *, lock: bool = False) -> list[ClerkLoad]:
    """The chosen clerks with their open leads, capacity and whether they are absent today.
    `lock` (PostgreSQL, in a transaction): row locks on the clerks, so that two runs giving
    leads to the same clerks count each other's work (capacity holds)."""
    users = User.filter(id__in=list(clerk_ids)).order_by("id")
    # NO KEY: a concurrent assignment's foreign-key check (KEY SHARE on the clerk) must not
    # wait for us while we wait for its leads.
    found = await (users.select_for_update(no_key=True) if lock else users)
    today = company_today()
    absent = _ints(
        await Absence.filter(
            user_id__in=list(clerk_ids), starts_on__lte=today, ends_on__gte=today
        ).values_list("user_id", flat=True)
    )
    counts = await open_lead_counts(user.id for user in found)
    return [
        ClerkLoad(
            id=user.id,
            name=user.name,
            open_count=counts[user.id],
            capacity=user.capacity,
            absent=user.id in absent,
            active=user.active and user.role == Role.CLERK,
        )
        for user in found
    ]


async def lead_states(lead_ids: Sequence[int]) -> list[LeadState]:
    rows = await Lead.filter(id__in=list(lead_ids)).values(
        "id", "campaign_id", "assignee_id", "closed_at", "assignee__name"
    )
    return [
        LeadState(
            id=row["id"],
            campaign_id=row["campaign_id"],
            assignee_name=row["assignee__name"] if row["assignee_id"] is not None else None,
            closed=row["closed_at"] is not None,
        )
        for row in sorted(rows, key=lambda row: row["id"])
    ]


async def round_robin_pointers(campaign_ids: set[int]) -> dict[int, int | None]:
    rows = await CampaignDistribution.filter(campaign_id__in=campaign_ids).values_list(
        "campaign_id", "last_clerk_id"
    )
    pointers: dict[int, int | None] = dict.fromkeys(campaign_ids)
    pointers.update({int(campaign_id): last for campaign_id, last in rows})
    return pointers


async def _lock_distributions(campaign_ids: set[int], supports_lock: bool) -> None:
    """Create missing distribution rows race-safely (insert, ignoring an existing one), then
    lock them in campaign order: two runs for one campaign serialize on its row (PostgreSQL)."""
    existing = _ints(
        await CampaignDistribution.filter(campaign_id__in=campaign_ids).values_list(
            "campaign_id", flat=True
        )
    )
    missing = sorted(campaign_ids - existing)
    if missing:
        await CampaignDistribution.bulk_create(
            [CampaignDistribution(campaign_id=campaign_id) for campaign_id in missing],
            ignore_conflicts=True,
        )
    if supports_lock:
        await (
            CampaignDistribution.filter(campaign_id__in=campaign_ids)
            .order_by("campaign_id")
            .select_for_update()
            .only("id")
        )


async def _advance_pointers(pointers: Mapping[int, int]) -> None:
    for campaign_id, clerk_id in pointers.items():
        await CampaignDistribution.filter(campaign_id=campaign_id).update(last_clerk_id=clerk_id)


# ---------------------------------------------------------------------------------------------
# The use case: distributeLeads


@dataclass(frozen=True, slots=True)
class DistributionRequest:
    clerk_ids: Sequence[int]
    strategy: DistributionStrategy = DistributionStrategy.LEAST_LOADED
    lead_ids: Sequence[int] | None = None
    lead_filter: LeadFilter | None = None
    preview: bool = False


async def distribute(actor: Actor, request: DistributionRequest) -> Plan:
    """`distributeLeads`: the plan, and unless previewing, the plan carried out atomically (the
    leads, clerks and pointers are read again under locks inside the transaction; leads taken
    meanwhile are skipped with their reason, never assigned twice)."""
    policy.require_manager(actor, "distribute leads")
    lead_ids = await _leads_to_distribute(actor, request)
    clerk_ids = await _valid_clerks(request.clerk_ids)
    if request.preview:
        return await _plan_from_database(lead_ids, clerk_ids, request.strategy)
    async with in_transaction() as connection:
        supports_lock = bool(connection.capabilities.support_for_update)
        campaign_ids = _ints(
            await Lead.filter(id__in=lead_ids).values_list("campaign_id", flat=True)
        )
        await _lock_distributions(campaign_ids, supports_lock)
        if supports_lock:
            # Leads in id order, as assign_leads does: overlapping runs cannot deadlock.
            await Lead.filter(id__in=lead_ids).order_by("id").select_for_update().only("id")
        result = await _plan_from_database(
            lead_ids, clerk_ids, request.strategy, lock_clerks=supports_lock
        )
        try:
            await write_assignments(actor, result.assignments)
        except AssignConflict:  # cannot happen under the locks; refuse rather than half-do
            raise DomainError(
                ErrorCode.CONFLICT,
                "The leads changed meanwhile; nothing was distributed. Try again.",
                ["leadIds"],
            ) from None
        await _advance_pointers(result.pointers)
    return result


async def _plan_from_database(
    lead_ids: Sequence[int],
    clerk_ids: Sequence[int],
    strategy: DistributionStrategy,
    *,
    lock_clerks: bool = False,
    prefix: str = "",
) -> Plan:
    states = await lead_states(lead_ids)
    clerks = await clerk_loads(clerk_ids, lock=lock_clerks)
    pointers = await round_robin_pointers({state.campaign_id for state in states})
    return plan(states, clerks, strategy, pointers, prefix=prefix)


async def _leads_to_distribute(actor: Actor, request: DistributionRequest) -> list[int]:
    if (request.lead_ids is None) == (request.lead_filter is None):
        raise DomainError(
            ErrorCode.INVALID, "Give either leadIds or a filter (exactly one).", ["leadIds"]
        )
    if request.lead_filter is not None:
        # Every NEW lead matching the filter, whatever status the filter names.
        new_only = dataclasses.replace(request.lead_filter, status=LeadStatus.NEW)
        matching = filtered_leads(actor, new_only).order_by("id").limit(MAX_FILTERED)
        return sorted(_ints(await matching.values_list("id", flat=True)))
    lead_ids = list(request.lead_ids or [])
    ids = checked_selection(lead_ids, too_many_hint="; use a filter for more")
    await require_leads_exist(lead_ids, ids)
    return ids


def checked_selection(lead_ids: Sequence[int], too_many_hint: str = "") -> list[int]:
    """The selected leads' ids, each once: at least one, at most MAX_LEAD_IDS."""
    ids = unique_ids(list(lead_ids))
    if not ids:
        raise DomainError(ErrorCode.REQUIRED, "Select at least one lead.", ["leadIds"])
    if len(ids) > MAX_LEAD_IDS:
        raise DomainError(
            ErrorCode.TOO_MANY,
            f"At most {MAX_LEAD_IDS} leads per call ({len(ids)} given){too_many_hint}.",
            ["leadIds"],
        )
    return ids


async def require_leads_exist(lead_ids: Sequence[int], ids: Sequence[int]) -> None:
    """Every selected lead exists; each missing one is named at its place in `lead_ids`.
    Leads are never deleted, so this can be read before the transaction."""
    found = _ints(await Lead.filter(id__in=list(ids)).values_list("id", flat=True))
    missing = [lead_id for lead_id in ids if lead_id not in found]
    if missing:
        positions = list(lead_ids)
        raise DomainErrors(
            [
                DomainError(
                    ErrorCode.NOT_FOUND,
                    f"Lead #{lead_id} does not exist.",
                    ["leadIds", str(positions.index(lead_id))],
                )
                for lead_id in missing
            ]
        )


async def _valid_clerks(raw_ids: Sequence[int]) -> list[int]:
    """The chosen clerks: at least one, each an active clerk (managers learn which is not)."""
    ids = unique_ids(list(raw_ids))
    if not ids:
        raise DomainError(ErrorCode.REQUIRED, "Choose at least one clerk.", ["clerkIds"])
    if len(ids) > MAX_CLERKS:
        raise DomainError(
            ErrorCode.TOO_MANY, f"At most {MAX_CLERKS} clerks per call.", ["clerkIds"]
        )
    users = {user.id: user for user in await User.filter(id__in=ids)}
    errors = []
    for position, user_id in enumerate(raw_ids):
        user = users.get(user_id)
        where = ["clerkIds", str(position)]
        if user is None:
            errors.append(DomainError(ErrorCode.NOT_FOUND, "No such user.", where))
        elif user.role != Role.CLERK:
            errors.append(DomainError(ErrorCode.INVALID, f"{user.name} is not a clerk.", where))
        elif not user.active:
            errors.append(DomainError(ErrorCode.INVALID, f"{user.name} is deactivated.", where))
    if errors:
        raise DomainErrors(errors)
    return ids


# ---------------------------------------------------------------------------------------------
# A campaign's automatic distribution


async def set_campaign_distribution(
    actor: Actor,
    campaign_id: int,
    clerk_ids: Sequence[int],
    strategy: DistributionStrategy,
    automatic: bool,
) -> Campaign:
    """`setCampaignDistribution` (managers): the clerks and strategy the campaign's new leads
    are distributed to at intake when `automatic`. The round-robin pointer stays."""
    policy.require_manager(actor, "set a campaign's distribution")
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This campaign does not exist.", ["campaignId"])
    ids = unique_ids(list(clerk_ids))
    if ids:
        ids = await _valid_clerks(clerk_ids)
    elif automatic:
        raise DomainError(
            ErrorCode.REQUIRED, "Automatic distribution needs at least one clerk.", ["clerkIds"]
        )
    async with in_transaction() as connection:
        await _lock_distributions({campaign.id}, bool(connection.capabilities.support_for_update))
        await CampaignDistribution.filter(campaign_id=campaign.id).update(
            clerk_ids=ids, strategy=strategy, automatic=automatic
        )
    return campaign


async def campaign_distribution(actor: Actor, campaign_id: int) -> CampaignDistribution | None:
    """The campaign's distribution settings, for managers (null for everyone else)."""
    return (await campaign_distributions(actor, [campaign_id])).get(campaign_id)


async def campaign_distributions(
    actor: Actor, campaign_ids: Sequence[int]
) -> dict[int, CampaignDistribution]:
    """The distribution settings of the campaigns that have any, for managers (none for
    everyone else): one statement for any number of campaigns."""
    if not policy.is_manager(actor) or not campaign_ids:
        return {}
    found = await CampaignDistribution.filter(campaign_id__in=list(campaign_ids))
    return {settings.campaign_id: settings for settings in found}


async def distribute_new_leads(campaign: Campaign, lead_ids: Sequence[int]) -> None:
    """At intake, in the intake's transaction: new leads of a campaign with automatic
    distribution go to its clerks now ("automatisch: ...", by AUTOMATIC). Without an available
    clerk they stay NEW."""
    if not lead_ids:
        return
    settings = await CampaignDistribution.get_or_none(campaign_id=campaign.id, automatic=True)
    if settings is None or not settings.clerk_ids:
        return
    async with in_transaction() as connection:  # joins the intake's transaction
        supports_lock = bool(connection.capabilities.support_for_update)
        await _lock_distributions({campaign.id}, supports_lock)
        # Read again under the lock: a concurrent setCampaignDistribution has committed or waits.
        settings = await CampaignDistribution.get_or_none(campaign_id=campaign.id, automatic=True)
        if settings is None or not settings.clerk_ids:
            return
        clerks = await clerk_loads(settings.clerk_ids, lock=supports_lock)
        pointers = await round_robin_pointers({campaign.id})
        states = [LeadState(id=lead_id, campaign_id=campaign.id) for lead_id in sorted(lead_ids)]
        result = plan(
            states,
            clerks,
            DistributionStrategy(settings.strategy),
            pointers,
            prefix=AUTOMATIC_PREFIX,
        )
        await write_assignments(AUTOMATIC, result.assignments)
        await _advance_pointers(result.pointers)
