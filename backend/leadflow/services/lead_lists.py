"""Lead lists: the one filter every list of leads goes through (the overview, a campaign's
leads, the CSV export), a clerk's task list with its due states, and their orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from leadflow.auth import policy
from leadflow.auth.actors import Actor, actor_user
from leadflow.db import sql
from leadflow.db.enums import CloseReason, DueState, LeadStatus, Outcome
from leadflow.db.lead_status import open_condition, status_condition, status_counts
from leadflow.db.models import Lead
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services import lead_search
from leadflow.services.due import Today
from leadflow.services.keyset import Blank, Ordering, SortKey, SortKind
from leadflow.services.moments import utc_moment
from leadflow.services.validation import clean_text

SEARCH_MAX = 200


@dataclass(frozen=True, slots=True)
class LeadFilter:
    """All given conditions must hold. `created_after` is included, `created_before`
    excluded; `due` lists open leads only (a DONE lead has no next step)."""

    status: LeadStatus | None = None
    campaign_id: int | None = None
    assignee_id: int | None = None
    search: str | None = None
    outcome: Outcome | None = None
    close_reason: CloseReason | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    due: DueState | None = None


@dataclass(frozen=True, slots=True)
class TaskFilter:
    due: DueState | None = None
    campaign_id: int | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class LeadCounts:
    new: int
    active: int
    done: int


@dataclass(frozen=True, slots=True)
class TaskCounts:
    """A clerk's open leads per due state."""

    overdue: int
    today: int
    upcoming: int
    none: int


class LeadOrder(StrEnum):
    NEWEST = "NEWEST"
    OLDEST = "OLDEST"
    LAST_NAME = "LAST_NAME"
    COMPANY = "COMPANY"
    CAMPAIGN = "CAMPAIGN"
    ASSIGNEE = "ASSIGNEE"
    WAITING_LONGEST = "WAITING_LONGEST"
    NEXT_DUE = "NEXT_DUE"


class TaskOrder(StrEnum):
    NEXT_DUE = "NEXT_DUE"
    WAITING_LONGEST = "WAITING_LONGEST"
    NEWEST = "NEWEST"


# --- Orders ----------------------------------------------------------------------------------
# Blank values (no assignee, no company, nothing scheduled, not waiting) sort last; the id
# breaks ties. Text sorts as the database collates it (PostgreSQL: the database's collation).

_CREATED = SortKey("created_at", SortKind.DATETIME)
_WAITING = SortKey("waiting_since", SortKind.DATETIME, blank=Blank.NULL)
_NEXT_DUE = SortKey("next_due_at", SortKind.DATETIME, blank=Blank.NULL)
_LAST_NAME = SortKey("contact__last_name", SortKind.TEXT)

LEAD_ORDERINGS: dict[LeadOrder, Ordering] = {
    LeadOrder.NEWEST: Ordering(
        "NEWEST", (SortKey("created_at", SortKind.DATETIME, descending=True),)
    ),
    LeadOrder.OLDEST: Ordering("OLDEST", (_CREATED,)),
    LeadOrder.LAST_NAME: Ordering(
        "LAST_NAME",
        (_LAST_NAME, SortKey("contact__first_name", SortKind.TEXT, blank=Blank.EMPTY)),
    ),
    LeadOrder.COMPANY: Ordering(
        "COMPANY",
        (SortKey("contact__company", SortKind.TEXT, blank=Blank.EMPTY), _LAST_NAME),
    ),
    LeadOrder.CAMPAIGN: Ordering("CAMPAIGN", (SortKey("campaign__name", SortKind.TEXT),)),
    LeadOrder.ASSIGNEE: Ordering(
        "ASSIGNEE", (SortKey("assignee__name", SortKind.TEXT, blank=Blank.NULL),)
    ),
    LeadOrder.WAITING_LONGEST: Ordering("WAITING_LONGEST", (_WAITING,)),
    # What is due first, then (nothing scheduled) what has waited longest.
    LeadOrder.NEXT_DUE: Ordering("NEXT_DUE", (_NEXT_DUE, _WAITING)),
}

# Partners read a lead's creation, campaign and assignee, but not its contact's name or company,
# its wait or its next step (`api.field_policy`): an order by those would show them, through
# the order itself and through the sort values every cursor carries.
PARTNER_ORDERS = frozenset(
    {LeadOrder.NEWEST, LeadOrder.OLDEST, LeadOrder.CAMPAIGN, LeadOrder.ASSIGNEE}
)


def lead_ordering(actor: Actor, order: LeadOrder) -> Ordering:
    """The keys of `order`, if the actor may sort by them."""
    if policy.is_partner(actor) and order not in PARTNER_ORDERS:
        allowed = ", ".join(sorted(PARTNER_ORDERS))
        raise AccessDenied(f"Partners may sort leads only by {allowed}.")
    return LEAD_ORDERINGS[order]


# The task list names its orders apart from the lead list's: a cursor of one is no cursor of
# the other. NEWEST is the newest assignment (what just landed on the clerk's desk), not the
# newest lead: a lead created long ago but assigned this morning is new work.
# NEXT_DUE and WAITING_LONGEST read a clerk's open leads from an index in their order on both
# databases (migrations 0006, 0012); NEWEST sorts them.
TASK_ORDERINGS: dict[TaskOrder, Ordering] = {
    TaskOrder.NEXT_DUE: Ordering("TASKS_NEXT_DUE", (_NEXT_DUE, _WAITING)),
    TaskOrder.WAITING_LONGEST: Ordering("TASKS_WAITING_LONGEST", (_WAITING,)),
    TaskOrder.NEWEST: Ordering(
        "TASKS_NEWEST",
        (SortKey("assigned_at", SortKind.DATETIME, descending=True, blank=Blank.NULL),),
    ),
}


# --- The lead list ---------------------------------------------------------------------------


def filtered_leads(
    actor: Actor, lead_filter: LeadFilter | None = None, today: Today | None = None
) -> QuerySet[Lead]:
    """The leads the actor may see, narrowed by the filter (status included). `today` (the
    viewer's, see `Today.in_zone`) decides the due states; UTC's when not given."""
    lead_filter = lead_filter or LeadFilter()
    new_only = lead_filter.status is LeadStatus.NEW
    leads = _filter_without_status(actor, lead_filter, today, new_only=new_only)
    if lead_filter.status is not None:
        leads = leads.filter(status_condition(lead_filter.status))
    return leads


async def lead_counts(
    actor: Actor, lead_filter: LeadFilter | None = None, today: Today | None = None
) -> LeadCounts:
    """New/Active/Done for the overview's three tabs, in one query; the filter's status is
    ignored. From the counters (`counted_leads`) when the filter allows, else over the leads."""
    lead_filter = lead_filter or LeadFilter()
    tally = await _tally(actor, lead_filter)
    if tally is not None:
        return LeadCounts(new=tally.new, active=tally.active, done=tally.done)
    leads = _filter_without_status(actor, lead_filter, today)
    row = await leads.annotate(**status_counts()).first().values("new", "active", "done")
    row = row or {}
    return LeadCounts(
        new=int(row.get("new") or 0),
        active=int(row.get("active") or 0),
        done=int(row.get("done") or 0),
    )


async def count_leads(
    actor: Actor, lead_filter: LeadFilter | None = None, today: Today | None = None
) -> int:
    """How many leads `filtered_leads` holds (the lists' totalCount): from the counters when
    the filter allows (`counted_leads`), else by counting the leads."""
    lead_filter = lead_filter or LeadFilter()
    tally = await _tally(actor, lead_filter)
    if tally is None:
        return await filtered_leads(actor, lead_filter, today).count()
    if lead_filter.status is None:
        return tally.new + tally.active + tally.done
    return {
        LeadStatus.NEW: tally.new,
        LeadStatus.ACTIVE: tally.active,
        LeadStatus.DONE: tally.done,
    }[lead_filter.status]


async def _tally(actor: Actor, lead_filter: LeadFilter) -> sql.LeadTally | None:
    """The leads of each status among those the actor sees that match the filter (its status
    ignored), from migration 0021's counters, or None when they cannot tell (see
    `counted_leads`)."""
    cells = counted_leads(actor, lead_filter)
    if cells is None:
        return None
    if not cells:
        return sql.LeadTally()
    return await sql.lead_tally(cells)


# The advisory lock of the counters' fold (any constant no other job uses: "LF" 0021).
FOLD_LOCK_KEY = 0x4C46_0021
# How often leadflow.jobs folds the counters: the rows a count sums stay a few per key.
FOLD_SECONDS = 60.0


async def fold_counts() -> sql.CountsFold | None:
    """One round of folding migration 0021's counters (`sql.fold_lead_counts`), on one
    instance at a time (None: another instance's round holds the lock). Never changes a
    count."""
    async with in_transaction():
        if not await sql.try_job_lock(FOLD_LOCK_KEY):
            return None
        return await sql.fold_lead_counts()


def counted_leads(actor: Actor, lead_filter: LeadFilter) -> list[dict[str, int | None]] | None:
    """The counters' conditions (`sql.lead_tally`) for the leads the actor sees that match the
    filter, its status aside; None when the counters cannot answer and the leads are counted.
    They can for the overview's common filters: none, a status, a campaign, an assignee and
    their combinations, for every viewer (managers all leads, a clerk their own, a partner the
    leads they submitted: the policy's scope is over the counters' keys). Search, outcome,
    close reason, creation dates and due states are counted over the leads. The access checks
    run as for the list (`_filter_without_status`), in the same order."""
    scope = policy.lead_scope(actor)
    if lead_filter.assignee_id is not None:
        policy.require_may_list_leads_of(actor, lead_filter.assignee_id)
    if (
        lead_filter.outcome is not None
        or lead_filter.close_reason is not None
        or lead_filter.created_after is not None
        or lead_filter.created_before is not None
        or lead_filter.due is not None
        or _searches(lead_filter.search)
    ):
        return None
    narrowing: dict[str, int | None] = {}
    if lead_filter.campaign_id is not None:
        narrowing["campaign_id"] = lead_filter.campaign_id
    if lead_filter.assignee_id is not None:
        narrowing["assignee_id"] = lead_filter.assignee_id
    cells = []
    for columns in scope.alternatives:
        if scope.distinct or not set(columns) <= sql.LEAD_TALLY_KEYS:
            return None
        clashes = any(columns[key] != value for key, value in narrowing.items() if key in columns)
        if not clashes:
            cells.append({**columns, **narrowing})
    return cells


def _searches(raw: str | None) -> bool:
    """Whether the search narrows the list (blank is no search; a bad one is refused by the
    list's own search)."""
    return raw is not None and bool(raw.split())


def _filter_without_status(
    actor: Actor, lead_filter: LeadFilter, today: Today | None, *, new_only: bool = False
) -> QuerySet[Lead]:
    """`new_only`: the caller keeps the NEW leads only (the search may read them its own way)."""
    leads = policy.visible_leads(actor)
    if lead_filter.assignee_id is not None:
        policy.require_may_list_leads_of(actor, lead_filter.assignee_id)
        leads = leads.filter(assignee_id=lead_filter.assignee_id)
    if lead_filter.campaign_id is not None:
        leads = leads.filter(campaign_id=lead_filter.campaign_id)
    if lead_filter.outcome is not None:
        leads = leads.filter(outcome=lead_filter.outcome)
    if lead_filter.close_reason is not None:
        leads = leads.filter(close_reason=lead_filter.close_reason)
    leads = _created_within(leads, lead_filter.created_after, lead_filter.created_before)
    if lead_filter.due is not None:
        if policy.is_partner(actor):
            # Partners do not read a lead's next step (see PARTNER_ORDERS).
            raise AccessDenied("Partners may not filter leads by their next step.")
        leads = leads.filter(open_condition(), due_condition(lead_filter.due, today))
    return _matching_search(actor, leads, lead_filter.search, new_only=new_only)


def _created_within(
    leads: QuerySet[Lead], created_after: datetime | None, created_before: datetime | None
) -> QuerySet[Lead]:
    after = _utc(created_after, "createdAfter")
    before = _utc(created_before, "createdBefore")
    if after is not None and before is not None and after > before:
        raise DomainError(
            ErrorCode.INVALID,
            "'createdAfter' must not be later than 'createdBefore'.",
            ["filter", "createdBefore"],
        )
    if after is not None:
        leads = leads.filter(created_at__gte=after)
    if before is not None:
        leads = leads.filter(created_at__lt=before)
    return leads


def _utc(moment: datetime | None, field: str) -> datetime | None:
    """A naive moment is taken as UTC (the filter's documented reading, the export's too); one
    that is no moment in UTC's years 1 to 9999 is refused rather than failing the query."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return utc_moment(aware, ["filter", field])


def _matching_search(
    actor: Actor, leads: QuerySet[Lead], raw: str | None, *, new_only: bool = False
) -> QuerySet[Lead]:
    search = clean_text(raw, ["filter", "search"], max_length=SEARCH_MAX)
    # What a search matches, and how its indexes find it: services/lead_search.py.
    return lead_search.matching_leads(actor, leads, search, new_only=new_only)


def due_condition(state: DueState, today: Today | None = None) -> Q:
    """Rows whose `next_due_at` is in `state` (the rule of `Today.state_of`, as SQL); the
    caller adds "open"."""
    today = today or Today.in_zone()
    if state is DueState.NONE:
        return Q(next_due_at=None)
    if state is DueState.OVERDUE:
        return Q(next_due_at__lt=today.starts)
    if state is DueState.TODAY:
        return Q(next_due_at__gte=today.starts, next_due_at__lt=today.ends)
    return Q(next_due_at__gte=today.ends)


# --- The task list ---------------------------------------------------------------------------


def my_tasks(
    actor: Actor, task_filter: TaskFilter | None = None, today: Today | None = None
) -> QuerySet[Lead]:
    """The actor's ACTIVE leads (the system is assigned none), narrowed by the filter."""
    task_filter = task_filter or TaskFilter()
    tasks = _open_tasks(actor)
    if task_filter.campaign_id is not None:
        tasks = tasks.filter(campaign_id=task_filter.campaign_id)
    if task_filter.due is not None:
        tasks = tasks.filter(due_condition(task_filter.due, today))
    return _matching_search(actor, tasks, task_filter.search)


async def count_tasks(
    actor: Actor, task_filter: TaskFilter | None = None, today: Today | None = None
) -> int:
    """How many leads `my_tasks` holds (its totalCount): the actor's ACTIVE leads (of a
    campaign) from the counters (`sql.lead_tally`); counted over the leads when a due state or
    a search narrows them."""
    task_filter = task_filter or TaskFilter()
    if task_filter.due is not None or _searches(task_filter.search):
        return await my_tasks(actor, task_filter, today).count()
    policy.require_worker(actor)
    user = actor_user(actor)
    if user is None:
        return 0
    cell: dict[str, int | None] = {"assignee_id": user.id}
    if task_filter.campaign_id is not None:
        cell["campaign_id"] = task_filter.campaign_id
    return (await sql.lead_tally([cell])).active


async def my_task_counts(actor: Actor, today: Today | None = None) -> TaskCounts:
    """The actor's ACTIVE leads per due state, in one query (conditional counts)."""
    today = today or Today.in_zone()
    # Counting assignee_id (never NULL here) rather than id: every column the count reads is
    # then in the index `leads_open_by_assignee_due` (0012: assignee_id, next_due_at, ...
    # WHERE closed_at IS NULL), and PostgreSQL answers from the index alone (2 ms instead of
    # 25 for a clerk with 20,000 open leads).
    counts = {
        state.value.lower(): Count("assignee_id", _filter=due_condition(state, today))
        for state in DueState
    }
    row = await _open_tasks(actor).annotate(**counts).first().values(*counts)
    row = row or {}
    return TaskCounts(**{name: int(row.get(name) or 0) for name in counts})


def _open_tasks(actor: Actor) -> QuerySet[Lead]:
    policy.require_worker(actor)
    user = actor_user(actor)
    if user is None:
        return Lead.filter(id__in=[])
    # Spelled as the index `leads_open_by_assignee_due` reads (its condition: open).
    return Lead.filter(status_condition(LeadStatus.ACTIVE), assignee_id=user.id)
