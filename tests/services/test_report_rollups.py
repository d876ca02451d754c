"""The report rollups (migration 0006): triggers on `leads` keep per-day figures, the reports
sum them for whole days and read partial days from the leads, and medians over many leads come
from a fixed sample. Checked against figures computed here, in Python, from the leads
themselves, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from datetime import datetime, timedelta

import pytest

from leadflow.db.enums import Channel, CloseReason, Outcome
from leadflow.db.models import (
    Lead,
)
from leadflow.services import campaigns, leads, reports
from leadflow.services.leads import LeadIntake
from leadflow.services.reports import ReportInterval
from tests.databases import shared_world
from tests.helpers import QueryCounter
from tests.reports_data import HOUR, at, build_report_data
from tests.rollups import _utc_day, expected_rollups, stored_rollups

# The data set, built once per module and backend; each test that uses it starts from a copy.
_data_once, database_state, data = shared_world(
    "data", lambda client, actors: build_report_data(actors)
)


async def test_the_triggers_keep_the_rollups_equal_to_the_leads(actors, data):
    assert await stored_rollups() == await expected_rollups()
    manager, clerk_a = actors.manager.user, actors.clerk_a.user
    # More of every change the services make: intake, assignment, feedback, reassignment,
    # both closes; then changes only an operator's SQL would make.
    created = await leads.create_leads(
        manager,
        data.webinar.id,
        [LeadIntake(last_name=f"Late {i}", email=f"late{i}@x.example") for i in range(6)],
    )
    ids = [lead.id for lead in created]
    await leads.assign_leads(manager, ids[:4], clerk_a.id)
    await leads.record_feedback(clerk_a, ids[0], Channel.EMAIL, "Wrote.")
    await leads.reassign_lead(manager, ids[1], actors.clerk_b.user.id)
    await leads.close_lead(clerk_a, ids[0], Outcome.SUCCESSFUL)
    await leads.close_lead(clerk_a, ids[2], Outcome.UNSUCCESSFUL, CloseReason.DUPLICATE)
    assert await stored_rollups() == await expected_rollups()

    await Lead.filter(id=ids[2]).update(campaign_id=data.empty.id, created_at=at(30, 23))
    await Lead.filter(id=data.lead_ids["W1"]).update(closed_at=at(40), assignee_id=clerk_a.id)
    await Lead.filter(id__in=ids[4:]).delete()
    assert await stored_rollups() == await expected_rollups()


# --- Periods cut at midnight: whole days from the rollups, partial days from the leads ------

PERIODS = [
    (None, None),
    (at(0), at(7)),
    (at(0, 12), at(7)),
    (at(1), at(8, 6)),
    (at(1, 5), at(3, 1)),
    (at(2, 1), at(2, 23)),
    (at(2, 12), at(3)),
    (None, at(2, 12)),
    (at(7, 3), None),
    (at(21, 12), at(22, 1)),
]


async def figures_from_leads(start: datetime | None, end: datetime | None):
    """Per campaign (total, new, active, done, successful, unsuccessful) and reasons of the
    leads created in the period, and per clerk (closed, successful) of those closed in it."""

    def within(moment: datetime | None) -> bool:
        return (
            moment is not None
            and (start is None or moment >= start)
            and (end is None or moment < end)
        )

    counts: Counter = Counter()
    reasons: Counter = Counter()
    closes: Counter = Counter()
    for lead in await Lead.all():
        if within(lead.created_at):
            counts[(lead.campaign_id, "total")] += 1
            counts[(lead.campaign_id, lead.status.value.lower())] += 1
            if lead.outcome is not None:
                counts[(lead.campaign_id, lead.outcome.value.lower())] += 1
            if lead.outcome is Outcome.UNSUCCESSFUL and lead.close_reason is not None:
                reasons[(lead.campaign_id, lead.close_reason)] += 1
        if within(lead.closed_at) and lead.assignee_id is not None:
            closes[(lead.assignee_id, "closed")] += 1
            if lead.outcome is Outcome.SUCCESSFUL:
                closes[(lead.assignee_id, "successful")] += 1
    return counts, reasons, closes


@pytest.mark.parametrize(("start", "end"), PERIODS)
async def test_reports_over_whole_and_partial_days_count_exactly(actors, data, start, end):
    manager = actors.manager.user
    counts, reasons, closes = await figures_from_leads(start, end)
    for report in await reports.campaign_reports(manager, start=start, end=end):
        campaign_id, stats = report.campaign.id, report.stats
        assert (stats.total, stats.new, stats.active, stats.done) == tuple(
            counts[(campaign_id, name)] for name in ("total", "new", "active", "done")
        ), (report.campaign.name, start, end)
        assert (stats.successful, stats.unsuccessful) == (
            counts[(campaign_id, "successful")],
            counts[(campaign_id, "unsuccessful")],
        )
        assert {entry.reason: entry.count for entry in report.unsuccessful_by_reason} == {
            reason: reasons[(campaign_id, reason)] for reason in CloseReason
        }
        assert report.medians_estimated is False
    for report in await reports.clerk_reports(manager, start, end):
        assert (report.closed_in_period, report.successful_in_period) == (
            closes[(report.clerk.id, "closed")],
            closes[(report.clerk.id, "successful")],
        ), (report.clerk.name, start, end)


@pytest.mark.parametrize(("start", "end"), [p for p in PERIODS if None not in p])
@pytest.mark.parametrize("interval", list(ReportInterval))
async def test_series_over_whole_and_partial_days_count_exactly(actors, data, start, end, interval):
    expected: Counter = Counter()
    for lead in await Lead.all():
        if start <= lead.created_at < end:
            expected[(reports.bucket_of(interval, _utc_day(lead.created_at)), "created")] += 1
        if lead.closed_at is not None and start <= lead.closed_at < end:
            bucket = reports.bucket_of(interval, _utc_day(lead.closed_at))
            expected[(bucket, lead.outcome.value.lower())] += 1
    series = await reports.lead_time_series(actors.manager.user, interval, start, end)
    for point in series:
        assert (point.created, point.successful, point.unsuccessful) == (
            expected[(point.start, "created")],
            expected[(point.start, "successful")],
            expected[(point.start, "unsuccessful")],
        ), (point.start, start, end)
    assert sum(point.created for point in series) == sum(
        count for (_, kind), count in expected.items() if kind == "created"
    )


# --- Medians over many leads: a fixed sample -------------------------------------------------


async def test_medians_over_many_leads_come_from_every_16th_lead(actors, data, monkeypatch):
    manager, clerk = actors.manager.user, actors.clerk_a.user
    created = await leads.create_leads(
        manager,
        data.empty.id,
        [LeadIntake(last_name=f"Many {i}", email=f"many{i}@x.example") for i in range(40)],
    )
    # Every lead is assigned; the sampled ones (ids 16, 32 and 48) after 2, 4 and 6 hours,
    # the others after 100 hours, so the estimate differs from the exact median.
    await leads.assign_leads(manager, [lead.id for lead in created], clerk.id)
    sampled = [lead.id for lead in created if lead.id % 16 == 0]
    assert sampled == [16, 32, 48]
    for lead in created:
        hours = 100 if lead.id not in sampled else 2 + 2 * sampled.index(lead.id)
        await Lead.filter(id=lead.id).update(
            created_at=at(30), first_assigned_at=at(30) + timedelta(hours=hours)
        )

    monkeypatch.setattr(reports.sampling, "EXACT_MEDIAN_LIMIT", 50_000)
    exact = await reports.campaign_reports(manager, data.empty.id)
    assert exact[0].medians_estimated is False
    assert exact[0].median_seconds_to_assignment == 100 * HOUR

    # Forty leads stand in for more than 50,000 (and eleven for 10,000).
    monkeypatch.setattr(reports.sampling, "EXACT_MEDIAN_LIMIT", 39)
    monkeypatch.setattr(reports.sampling, "EXACT_BESIDE_SAMPLED", 11)
    estimated = await reports.campaign_reports(manager, data.empty.id)
    assert estimated[0].medians_estimated is True
    assert estimated[0].median_seconds_to_assignment == statistics.median([2, 4, 6]) * HOUR
    assert estimated[0].stats.total == 40  # counts stay exact
    # Beside the big campaign, the small ones (8 and 3 leads, 11 together) keep their exact
    # medians.
    monkeypatch.setattr(reports.sampling, "EXACT_MEDIAN_LIMIT", 50_000)
    exact_all = {r.campaign.name: r for r in await reports.campaign_reports(manager)}
    monkeypatch.setattr(reports.sampling, "EXACT_MEDIAN_LIMIT", 39)
    mixed = {r.campaign.name: r for r in await reports.campaign_reports(manager)}
    assert {name: r.medians_estimated for name, r in mixed.items()} == {
        "Empty Hall": True,
        "Fair": False,
        "Webinar": False,
    }
    for name in ("Fair", "Webinar"):
        assert figures_of(mixed[name]) == figures_of(exact_all[name])
    assert mixed["Empty Hall"].median_seconds_to_assignment == 4 * HOUR
    # Clerks: sampled by their closes in the period, the busiest first. Clara closed 3 of the
    # fixed data's leads (F1, F2, F7), Bruno 2 (F3, W1): with a limit of 2, only Clara's
    # median is estimated.
    monkeypatch.setattr(reports.sampling, "EXACT_MEDIAN_LIMIT", 2)
    monkeypatch.setattr(reports.sampling, "EXACT_BESIDE_SAMPLED", 2)
    clerks = await reports.clerk_reports(manager)
    assert [r.clerk.name for r in clerks if r.medians_estimated] == ["Clara Clerk"]
    assert not any(r.medians_estimated for r in clerks if r.closed_in_period == 0)


def figures_of(report: reports.CampaignReport) -> tuple:
    return (
        report.median_seconds_to_assignment,
        report.median_seconds_to_first_feedback,
        report.median_seconds_to_close,
    )


# --- Concurrency (PostgreSQL): writers touching the same days -------------------------------


async def test_concurrent_writers_on_the_same_days_neither_deadlock_nor_lose_counts(
    actors, data, backend
):
    if backend != "postgres":
        pytest.skip("SQLite runs one writer at a time")
    manager = actors.manager.user
    clerks = [actors.clerk_a.user, actors.clerk_b.user]
    created = await leads.create_leads(
        manager,
        data.fair.id,
        [LeadIntake(last_name=f"Race {i}", email=f"race{i}@x.example") for i in range(40)],
    )
    # Leads of ten days, each assignment batch spanning the days in the opposite order of
    # the next, so row-by-row locking of the day rows would deadlock.
    for position, lead in enumerate(created):
        await Lead.filter(id=lead.id).update(created_at=at(40 + position % 10))
    batches = [[lead.id for lead in created[start : start + 10]] for start in range(0, 40, 10)]
    batches = [batch if n % 2 else list(reversed(batch)) for n, batch in enumerate(batches)]

    async def distribute(batch: list[int], clerk) -> None:
        await leads.assign_leads(manager, batch, clerk.id)
        for lead_id in batch[:3]:
            await leads.close_lead(clerk, lead_id, Outcome.UNSUCCESSFUL, CloseReason.OTHER)

    await asyncio.gather(*(distribute(batch, clerks[n % 2]) for n, batch in enumerate(batches)))
    assert await stored_rollups() == await expected_rollups()


async def test_campaign_stats_of_a_manager_come_from_the_rollups(actors, data):
    manager, ids = actors.manager.user, [data.fair.id, data.webinar.id, data.empty.id]
    from_leads = await campaigns.stats_by_campaign(Lead.all(), ids)
    with QueryCounter() as counter:
        from_rollups = await campaigns.campaign_stats(manager, ids)
    assert from_rollups == from_leads
    assert from_rollups[data.fair.id] == campaigns.CampaignStats(8, 1, 3, 4, 1, 3)
    assert counter.count == 1
    assert "report_campaign_days" in counter.statements[0]
    # A clerk's figures are their own leads', counted from the leads.
    clerk_stats = await campaigns.campaign_stats(actors.clerk_a.user, ids)
    assert (
        clerk_stats[data.fair.id].total
        == await Lead.filter(campaign_id=data.fair.id, assignee_id=actors.clerk_a.user.id).count()
    )
