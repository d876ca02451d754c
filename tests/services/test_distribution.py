"""Distribution rules at the service level: the pure planner, concurrent runs of overlapping
leads (each lead assigned exactly once), automatic distribution through an import, outbox
events and notifications written with the assignments, and a bounded statement count."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from pathlib import Path

from leadflow.auth.actors import OPERATOR
from leadflow.db.enums import (
    Channel,
    CloseReason,
    DistributionStrategy,
    LeadEventKind,
    NotificationKind,
    Outcome,
    Role,
)
from leadflow.db.models import (
    ASSIGNMENT_REASON_MAX,
    CampaignDistribution,
    Lead,
    LeadEvent,
    Notification,
    OutboxEvent,
)
from leadflow.errors import DomainError
from leadflow.services import campaigns, distribution, imports, leads, outbox
from leadflow.services.distribution import (
    ClerkLoad,
    DistributionRequest,
    LeadState,
    plan,
)
from leadflow.services.lead_lists import LeadFilter
from leadflow.services.leads import LeadIntake
from tests.helpers import QueryCounter, make_actor

LL, RR = DistributionStrategy.LEAST_LOADED, DistributionStrategy.ROUND_ROBIN


def clerk(id: int, open_count: int = 0, capacity: int | None = None, absent: bool = False):
    return ClerkLoad(id, f"Clerk {id}", open_count, capacity, absent)


def leads_of(campaign: int, *ids: int) -> list[LeadState]:
    return [LeadState(id=i, campaign_id=campaign) for i in ids]


# --- the planner ---------------------------------------------------------------------------------


def test_least_loaded_fills_the_emptiest_first_and_counts_its_own_run():
    clerks = [clerk(1, open_count=3), clerk(2, open_count=0), clerk(3, open_count=1)]
    result = plan(leads_of(7, *range(10, 16)), clerks, LL, {})
    # Ties go in turn after the clerk who got the previous lead (2 then 3, then 2 again).
    assert [a.clerk_id for a in result.assignments] == [2, 3, 2, 3, 2, 3]
    assert result.assignments[0].reason == "Clerk 2: 0 offen, am wenigsten ausgelastet"
    assert result.pointers == {7: 3}


def test_capacity_absence_and_inactive_clerks_get_nothing():
    clerks = [
        clerk(1, open_count=2, capacity=3),
        clerk(2, absent=True),
        ClerkLoad(3, "Gone", 0, None, absent=False, active=False),
        clerk(4, open_count=5, capacity=5),
    ]
    result = plan(leads_of(1, 1, 2, 3), clerks, LL, {})
    assert [a.clerk_id for a in result.assignments] == [1]
    assert result.assignments[0].reason == "Clerk 1: 2 von 3 offen, am wenigsten ausgelastet"
    assert [s.reason for s in result.skipped] == [distribution.NOBODY_AVAILABLE] * 2


def test_round_robin_per_campaign_pointer_and_skips():
    clerks = [clerk(5), clerk(9, absent=True), clerk(2), clerk(7)]
    leads = [*leads_of(1, 10, 12, 14), *leads_of(2, 11, 13)]
    result = plan(leads, clerks, RR, {1: 5, 2: None})
    by_lead = {a.lead_id: a for a in result.assignments}
    # Campaign 1 starts after clerk 5: 7, (9 absent) 2, 5. Campaign 2 from the start: 2, 5.
    assert [by_lead[i].clerk_id for i in (10, 12, 14)] == [7, 2, 5]
    assert [by_lead[i].clerk_id for i in (11, 13)] == [2, 5]
    assert by_lead[10].reason == "Clerk 7: reihum (nach Clerk 5)"
    assert by_lead[11].reason == "Clerk 2: reihum"
    assert result.pointers == {1: 5, 2: 5}


def test_taken_and_closed_leads_are_skipped_with_reasons_and_the_prefix_marks_automatic():
    leads = [
        LeadState(1, 1, assignee_name="Anna Schmidt"),
        LeadState(2, 1, closed=True),
        LeadState(3, 1),
    ]
    result = plan(leads, [clerk(1)], LL, {}, prefix=distribution.AUTOMATIC_PREFIX)
    assert [(s.lead_id, s.reason) for s in result.skipped] == [
        (1, "nicht mehr neu: inzwischen Anna Schmidt zugewiesen"),
        (2, "abgeschlossen"),
    ]
    assert result.assignments[0].reason.startswith("automatisch: Clerk 1: ")


def test_reasons_fit_the_stored_column_however_long_the_clerks_names_are():
    """Names may have 200 characters; a reason names two of them and is stored in 300."""
    long = [ClerkLoad(i, chr(64 + i) * 200, 0, None, False) for i in (1, 2)]
    automatic = distribution.AUTOMATIC_PREFIX
    for strategy in (LL, RR):
        result = plan(leads_of(1, 1, 2, 3), long, strategy, {1: 2}, prefix=automatic)
        reasons = [a.reason for a in result.assignments]
        assert len(reasons) == 3
        assert all(len(reason) <= ASSIGNMENT_REASON_MAX for reason in reasons), reasons
        assert all("A" * 79 + "…" in r or "B" * 79 + "…" in r for r in reasons)


# --- against the database ------------------------------------------------------------------------


async def new_leads(actors, count: int, name: str) -> list[int]:
    campaign = await campaigns.create_campaign(actors.manager.user, name)
    created = await leads.create_leads(
        actors.manager.user,
        campaign.id,
        [LeadIntake(last_name=f"L{i}", email=f"{name}.{i}@example.com") for i in range(count)],
    )
    return [lead.id for lead in created]


async def test_concurrent_overlapping_runs_assign_every_lead_once(actors):
    """Two managers distribute overlapping filters at once (PostgreSQL: two connections)."""
    ids = await new_leads(actors, 60, "Overlap")
    campaign_id = (await Lead.get(id=ids[0])).campaign_id
    clerks = [actors.clerk_a.user.id, actors.clerk_b.user.id]
    by_campaign = DistributionRequest(clerks, RR, lead_filter=LeadFilter(campaign_id=campaign_id))
    by_ids = DistributionRequest(clerks, LL, lead_ids=ids[20:])
    results = await asyncio.gather(
        distribution.distribute(actors.manager.user, by_campaign),
        distribution.distribute(actors.manager2.user, by_ids),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assigned = [a.lead_id for r in results for a in r.assignments]  # type: ignore[union-attr]
    assert sorted(assigned) == sorted(ids)  # each lead exactly once over both runs
    events = await LeadEvent.filter(lead_id__in=ids, kind=LeadEventKind.ASSIGNED).count()
    assert events == len(ids)
    published = await OutboxEvent.filter(topic=outbox.LEAD_ASSIGNED, lead_id__in=ids).count()
    assert published == len(ids)
    # The loser skipped what the winner took, naming the clerk.
    skipped = [s for r in results for s in r.skipped]  # type: ignore[union-attr]
    assert all(s.reason.startswith("nicht mehr neu: inzwischen ") for s in skipped)


async def test_one_notification_per_clerk_per_run_and_events_name_the_clerk(actors):
    ids = await new_leads(actors, 6, "Notify")
    clerks = [actors.clerk_a.user.id, actors.clerk_b.user.id]
    await distribution.distribute(actors.manager.user, DistributionRequest(clerks, RR, ids))
    notes = await Notification.filter(kind=NotificationKind.LEAD_ASSIGNED).values_list(
        "user_id", flat=True
    )
    assert Counter(notes) == Counter(clerks)
    event = await OutboxEvent.filter(topic=outbox.LEAD_ASSIGNED, lead_id=ids[0]).first()
    assert event is not None
    lead = await Lead.get(id=ids[0])
    assert event.user_ids == [lead.assignee_id]
    assert event.payload == {
        "leadId": lead.id,
        "campaignId": lead.campaign_id,
        "assigneeId": lead.assignee_id,
    }


async def test_automatic_distribution_through_an_import(actors, tmp_path: Path):
    campaign = await campaigns.create_campaign(actors.manager.user, "Importiert")
    c = await make_actor("c@test.example", "Cora Clerk", Role.CLERK)
    await distribution.set_campaign_distribution(
        actors.manager.user, campaign.id, [actors.clerk_a.user.id, c.user.id], LL, True
    )
    path = tmp_path / "leads.csv"
    rows = "\n".join(f"Person{i};p{i}@example.com" for i in range(5))
    path.write_text(f"Nachname;E-Mail\n{rows}\n", encoding="utf-8")
    await imports.import_by_name(OPERATOR, "Importiert", imports.ImportFile(path))
    found = await Lead.filter(campaign_id=campaign.id).values_list("assignee_id", flat=True)
    assert Counter(found) == Counter({actors.clerk_a.user.id: 3, c.user.id: 2})
    reasons = await Lead.filter(campaign_id=campaign.id).values_list("assignment_reason", flat=True)
    assert all(str(r).startswith("automatisch: ") for r in reasons)
    pointer = await CampaignDistribution.get(campaign_id=campaign.id)
    assert pointer.last_clerk_id is not None


async def test_distributing_1000_leads_is_a_bounded_number_of_statements(actors):
    ids = await new_leads(actors, 1000, "Viele")
    clerks = [actors.clerk_a.user.id, actors.clerk_b.user.id]
    with QueryCounter() as counter:
        result = await distribution.distribute(
            actors.manager.user, DistributionRequest(clerks, LL, lead_ids=ids)
        )
    assert len(result.assignments) == 1000
    # Reads, locks, one UPDATE per clerk, the reasons in one CASE batch, history, outbox and
    # notifications in bulk: a few dozen statements, not one per lead.
    assert counter.count < 60, counter.statements[:80]
    assert await Lead.filter(id__in=ids, assignment_reason=None).count() == 0


async def test_distribution_racing_a_manual_assignment_never_deadlocks(actors):
    """assignLeads takes no clerk locks, but its foreign key to the clerk takes a key-share
    lock: the distribution locks clerks FOR NO KEY UPDATE so neither waits for the other."""
    for round_no in range(5):
        ids = await new_leads(actors, 20, f"Mixed{round_no}")
        clerks = [actors.clerk_a.user.id, actors.clerk_b.user.id]
        results = await asyncio.gather(
            distribution.distribute(actors.manager.user, DistributionRequest(clerks, LL, ids)),
            leads.assign_leads(actors.manager2.user, ids[10:], actors.clerk_a.user.id),
            return_exceptions=True,
        )
        distributed, manual = results
        assert not isinstance(distributed, BaseException), distributed
        if isinstance(manual, DomainError):
            assert manual.code.value == "CONFLICT"
        else:
            assert not isinstance(manual, BaseException), manual
        events = await LeadEvent.filter(lead_id__in=ids, kind=LeadEventKind.ASSIGNED).count()
        assert events == len(ids) == await Lead.filter(id__in=ids).exclude(assignee_id=None).count()


async def test_every_lead_write_publishes_its_event(actors):
    ids = await new_leads(actors, 1, "Events")
    lead_id = ids[0]
    a, b = actors.clerk_a.user, actors.clerk_b.user
    await leads.assign_leads(actors.manager.user, ids, a.id)
    await leads.record_feedback(a, lead_id, Channel.PHONE, "Hallo")
    await leads.reassign_lead(actors.manager.user, lead_id, b.id)
    await leads.close_lead(b, lead_id, Outcome.UNSUCCESSFUL, CloseReason.OTHER)
    await leads.reopen_lead(actors.manager.user, lead_id)
    rows = (
        await OutboxEvent.filter(lead_id=lead_id)
        .exclude(topic=outbox.NOTIFICATION_ADDED)
        .order_by("id")
        .values_list("topic", "user_ids")
    )
    assert [(topic, sorted(users)) for topic, users in rows] == [
        (outbox.LEAD_CREATED, []),
        (outbox.LEAD_ASSIGNED, [a.id]),
        (outbox.LEAD_FEEDBACK_RECORDED, [a.id]),
        (outbox.LEAD_REASSIGNED, sorted([a.id, b.id])),
        (outbox.LEAD_CLOSED, [b.id]),
        (outbox.LEAD_REOPENED, [b.id]),
    ]
    lead = await Lead.get(id=lead_id)
    assert lead.assignment_reason == f"übertragen von {a.name}"  # back to b: b's reason stands
    # The reassignment told both clerks (services.notifications), in its transaction.
    told = await Notification.filter(lead_id=lead_id).order_by("id").values_list("user_id", "kind")
    assert [(user, str(kind)) for user, kind in told] == [
        (a.id, NotificationKind.LEAD_ASSIGNED.value),
        (a.id, NotificationKind.LEAD_REASSIGNED_AWAY.value),
        (b.id, NotificationKind.LEAD_ASSIGNED.value),
    ]


async def test_a_filter_over_two_campaigns_keeps_one_pointer_per_campaign(actors):
    first = await new_leads(actors, 3, "Nord")
    second = await new_leads(actors, 2, "Sued")
    clerks = sorted([actors.clerk_a.user.id, actors.clerk_b.user.id])
    request = DistributionRequest(clerks, RR, lead_filter=LeadFilter())
    preview = await distribution.distribute(
        actors.manager.user, dataclasses.replace(request, preview=True)
    )
    result = await distribution.distribute(actors.manager.user, request)
    assert result == preview
    by_lead = {a.lead_id: a.clerk_id for a in result.assignments}
    # Each campaign starts its own turn: Nord a, b, a; Süd a, b.
    assert [by_lead[i] for i in first] == [clerks[0], clerks[1], clerks[0]]
    assert [by_lead[i] for i in second] == [clerks[0], clerks[1]]
    pointers = dict(await CampaignDistribution.all().values_list("campaign__name", "last_clerk_id"))
    assert pointers == {"Nord": clerks[0], "Sued": clerks[1]}
