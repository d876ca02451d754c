"""Reports at the service level: every figure against numbers computed by hand from the fixed
data set in tests/reports_data.py (read its table first), visibility per role, bad input, and a
fixed number of SQL statements however many leads there are."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from leadflow.db.enums import Channel, CloseReason, Outcome
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services import leads, reports
from leadflow.services.leads import LeadIntake
from leadflow.services.reports import AgingKind, ReportInterval
from tests.databases import shared_world
from tests.helpers import QueryCounter
from tests.reports_data import DAY, HOUR, ReportData, at, build_report_data

# The data set, built once per module and backend; each test that uses it starts from a copy.
_data_once, database_state, data = shared_world(
    "data", lambda client, actors: build_report_data(actors)
)


def reasons(report: reports.CampaignReport) -> dict[CloseReason, int]:
    return {entry.reason: entry.count for entry in report.unsuccessful_by_reason}


def figures(report: reports.CampaignReport) -> dict[str, object]:
    stats = report.stats
    return {
        "campaign": report.campaign.name,
        "counts": (stats.total, stats.new, stats.active, stats.done),
        "outcomes": (stats.successful, stats.unsuccessful),
        "conversion": report.conversion_rate,
        "medians": (
            report.median_seconds_to_assignment,
            report.median_seconds_to_first_feedback,
            report.median_seconds_to_close,
        ),
    }


NO_REASONS = dict.fromkeys(CloseReason, 0)
EMPTY_HALL = {
    "campaign": "Empty Hall",
    "counts": (0, 0, 0, 0),
    "outcomes": (0, 0),
    "conversion": None,
    "medians": (None, None, None),
}


# --- per campaign ----------------------------------------------------------------------------


async def test_campaign_reports_for_a_manager_over_all_time(actors, data):
    found = await reports.campaign_reports(actors.manager.user)
    assert [figures(report) for report in found] == [
        EMPTY_HALL,
        {
            "campaign": "Fair",
            # F5 new; F4, F6, F8 active; F1, F2, F3, F7 done.
            "counts": (8, 1, 3, 4),
            "outcomes": (1, 3),
            "conversion": 0.25,
            "medians": (
                # to assignment, hours 1 1 2 2 3 4 8 (seven: the middle one)
                2 * HOUR,
                # to first feedback, hours 1 2 4 16 22 (F4's first assignment, not its
                # reassignment, is where its clock starts)
                4 * HOUR,
                # to close, days 1 1 2 3 (four: the mean of 1 and 2 days)
                1.5 * DAY,
            ),
        },
        {
            "campaign": "Webinar",
            "counts": (3, 2, 0, 1),
            "outcomes": (1, 0),
            "conversion": 1.0,
            "medians": (12 * HOUR, 6 * HOUR, 21 * DAY),
        },
    ]
    assert reasons(found[0]) == NO_REASONS
    assert reasons(found[1]) == {
        **NO_REASONS,
        CloseReason.NOT_INTERESTED: 2,
        CloseReason.UNREACHABLE: 1,
    }
    # Every reason is listed, in the enum's order, zeros included.
    assert [entry.reason for entry in found[1].unsuccessful_by_reason] == list(CloseReason)
    assert reasons(found[2]) == NO_REASONS


async def test_campaign_report_with_a_period_covers_the_leads_created_in_it(actors, data):
    # Week 1: F6 was created exactly at `to` (day 7, 00:00) and is left out.
    found = await reports.campaign_reports(actors.manager.user, start=at(0), end=at(7))
    assert [figures(report) for report in found] == [
        EMPTY_HALL,
        {
            "campaign": "Fair",
            # F1, F2, F3, F4, F5, F8
            "counts": (6, 1, 2, 3),
            "outcomes": (1, 2),
            "conversion": 0.3333,
            "medians": (
                2 * HOUR,  # hours 1 2 2 4 8
                10 * HOUR,  # hours 2 4 16 22: the mean of 4 and 16
                2 * DAY,  # days 1 2 3
            ),
        },
        {
            "campaign": "Webinar",
            "counts": (2, 1, 0, 1),  # W1 and W3
            "outcomes": (1, 0),
            "conversion": 1.0,
            "medians": (12 * HOUR, 6 * HOUR, 21 * DAY),
        },
    ]
    assert reasons(found[1]) == {
        **NO_REASONS,
        CloseReason.NOT_INTERESTED: 1,
        CloseReason.UNREACHABLE: 1,
    }

    # From day 7 on (`from` is included): F6 and F7 of the fair, nothing of the webinar.
    later = await reports.campaign_reports(actors.manager.user, start=at(7), end=at(14))
    fair = later[1]
    assert figures(fair) == {
        "campaign": "Fair",
        "counts": (2, 0, 1, 1),
        "outcomes": (0, 1),
        "conversion": 0.0,
        "medians": (2 * HOUR, 1 * HOUR, 1 * DAY),  # to assignment: the mean of 1 and 3 hours
    }
    assert figures(later[2])["counts"] == (0, 0, 0, 0)


async def test_campaign_report_for_one_campaign_and_open_ended_periods(actors, data):
    only = await reports.campaign_reports(actors.manager.user, data.fair.id, start=at(7))
    assert [report.campaign.name for report in only] == ["Fair"]
    assert figures(only[0])["counts"] == (2, 0, 1, 1)  # F6 and F7
    until = await reports.campaign_reports(actors.manager.user, data.webinar.id, end=at(2))
    assert figures(until[0])["counts"] == (1, 0, 0, 1)  # W1; W3 was created at `to`
    # A date is its midnight in UTC.
    dated = await reports.campaign_reports(
        actors.manager.user, data.fair.id, start=date(2024, 3, 11), end=date(2024, 3, 18)
    )
    assert figures(dated[0]) == figures(only[0])
    # Other offsets are converted: 01:00 at +01:00 is T0 + day 7.
    plus_one = timezone(timedelta(hours=1))
    shifted = await reports.campaign_reports(
        actors.manager.user, data.fair.id, start=datetime(2024, 3, 11, 1, tzinfo=plus_one)
    )
    assert figures(shifted[0]) == figures(only[0])


async def test_a_clerk_gets_campaign_figures_of_their_own_leads(actors, data):
    found = await reports.campaign_reports(actors.clerk_a.user)
    assert [figures(report) for report in found] == [
        EMPTY_HALL,
        {
            "campaign": "Fair",
            # Clerk A has F1, F2, F7 (closed) and F8 (active); F4 went to clerk B.
            "counts": (4, 0, 1, 3),
            "outcomes": (1, 2),
            "conversion": 0.3333,
            "medians": (
                1.5 * HOUR,  # hours 1 1 2 2
                3 * HOUR,  # hours 1 2 4 22
                1 * DAY,  # days 1 1 2
            ),
        },
        {
            "campaign": "Webinar",
            "counts": (0, 0, 0, 0),
            "outcomes": (0, 0),
            "conversion": None,
            "medians": (None, None, None),
        },
    ]
    assert reasons(found[1]) == {**NO_REASONS, CloseReason.NOT_INTERESTED: 2}


async def test_a_partner_gets_figures_of_its_own_leads_in_linked_campaigns(actors, data):
    found = await reports.campaign_reports(actors.partner.user)
    assert [figures(report) for report in found] == [
        {
            "campaign": "Fair",
            "counts": (2, 0, 1, 1),  # F6 and F7; not the manager's leads
            "outcomes": (0, 1),
            "conversion": 0.0,
            "medians": (2 * HOUR, 1 * HOUR, 1 * DAY),
        }
    ]
    assert reasons(found[0]) == {**NO_REASONS, CloseReason.NOT_INTERESTED: 1}
    # The webinar is no longer linked: refused, although W3 is the partner's.
    with pytest.raises(AccessDenied):
        await reports.campaign_reports(actors.partner.user, data.webinar.id)


async def test_admins_and_managers_see_the_same_figures(actors, data):
    by_manager = await reports.campaign_reports(actors.manager.user)
    by_admin = await reports.campaign_reports(actors.admin.user)
    assert [figures(report) for report in by_admin] == [figures(r) for r in by_manager]


# --- per clerk -------------------------------------------------------------------------------


def clerk_figures(report: reports.ClerkReport, names: dict[int, str]) -> dict[str, object]:
    return {
        "clerk": report.clerk.name,
        "open": report.open_leads,
        "closed": (report.closed_in_period, report.successful_in_period, report.success_rate),
        "median to first feedback": report.median_seconds_to_first_feedback,
        "oldest waiting": names.get(report.oldest_waiting_lead_id),
    }


def lead_names(data: ReportData) -> dict[int, str]:
    return {lead_id: name for name, lead_id in data.lead_ids.items()}


GERD = {
    "clerk": "Gerd Gone",
    "open": 0,
    "closed": (0, 0, None),
    "median to first feedback": None,
    "oldest waiting": None,
}


async def test_clerk_reports_for_a_manager_over_all_time(actors, data):
    found = await reports.clerk_reports(actors.manager.user)
    assert [clerk_figures(report, lead_names(data)) for report in found] == [
        {
            "clerk": "Bruno Clerk",
            "open": 2,  # F4 and F6
            "closed": (2, 1, 0.5),  # F3 unsuccessful, W1 successful
            # F4 16 hours (from its first assignment, to A), W1 6 hours: the mean
            "median to first feedback": 11 * HOUR,
            # F4's last activity is its reassignment on day 5 (its feedback was on day 3);
            # F6 was assigned on day 7, 03:00.
            "oldest waiting": "F4",
        },
        {
            "clerk": "Clara Clerk",
            "open": 1,  # F8
            "closed": (3, 1, 0.3333),  # F1, F2, F7
            "median to first feedback": 3 * HOUR,  # hours 1 2 4 22
            "oldest waiting": "F8",
        },
        GERD,  # deactivated clerks stay listed: their open leads would need reassigning
    ]


async def test_clerk_reports_for_a_period(actors, data):
    found = await reports.clerk_reports(actors.manager.user, start=at(1), end=at(9))
    assert [clerk_figures(report, lead_names(data)) for report in found] == [
        {
            "clerk": "Bruno Clerk",
            "open": 2,  # open leads are counted now, whatever the period
            "closed": (1, 0, 0.0),  # F3 (day 4); W1 closed on day 21
            "median to first feedback": 11 * HOUR,  # first feedback of W1 and F4 in the period
            "oldest waiting": "F4",
        },
        {
            "clerk": "Clara Clerk",
            "open": 1,
            # F1 closed at `from` (day 1, 00:00: included), F2 on day 2; F7 at `to` (excluded).
            "closed": (2, 1, 0.5),
            # F7 (1 hour) and F8 (22 hours) were first answered in the period. F2 had feedback
            # in it too, but its first was on day 0, so it does not count.
            "median to first feedback": 11.5 * HOUR,
            "oldest waiting": "F8",
        },
        GERD,
    ]


async def test_a_clerk_gets_only_their_own_report_and_partners_none(actors, data):
    found = await reports.clerk_reports(actors.clerk_a.user, start=at(1), end=at(9))
    assert [report.clerk.name for report in found] == ["Clara Clerk"]
    assert (found[0].closed_in_period, found[0].successful_in_period) == (2, 1)
    with pytest.raises(AccessDenied):
        await reports.clerk_reports(actors.partner.user)


# --- aging -----------------------------------------------------------------------------------


async def aging(actor, kind: AgingKind, days: int, data: ReportData, **extra) -> list[str]:
    names = lead_names(data)
    found = reports.aging_leads(actor, kind, days, at=at(10), **extra)
    return [names[lead_id] for lead_id in await found.order_by("id").values_list("id", flat=True)]


async def test_new_leads_waiting_longer_than_n_days(actors, data):
    manager = actors.manager.user
    # At day 10, five days back is day 5: F5 (day 3) and W3 (day 2); W2 is from day 22.
    assert await aging(manager, AgingKind.NEW, 5, data) == ["F5", "W3"]
    assert await aging(manager, AgingKind.NEW, 5, data, campaign_id=data.fair.id) == ["F5"]
    # Seven days back is day 3, 00:00: F5 was created exactly then, which is not before it.
    assert await aging(manager, AgingKind.NEW, 7, data) == ["W3"]
    assert await aging(manager, AgingKind.NEW, 9, data) == []
    # Clerks see no new leads at all.
    assert await aging(actors.clerk_a.user, AgingKind.NEW, 1, data) == []


async def test_active_leads_without_feedback_for_n_days(actors, data):
    manager, kind = actors.manager.user, AgingKind.ACTIVE_WITHOUT_FEEDBACK
    # Cutoff day 7: F4 (last activity: its reassignment, day 5) and F8 (feedback on day 6);
    # F6 was assigned on day 7, 03:00.
    assert await aging(manager, kind, 3, data) == ["F4", "F8"]
    # Cutoff day 6: F8's feedback at exactly day 6 counts as activity.
    assert await aging(manager, kind, 4, data) == ["F4"]
    # Cutoff day 4: F4's latest feedback (day 3) is older, but it was reassigned on day 5,
    # and the new clerk's clock started then.
    assert await aging(manager, kind, 6, data) == []
    assert await aging(manager, kind, 1, data) == ["F4", "F6", "F8"]
    assert await aging(manager, kind, 1, data, campaign_id=data.webinar.id) == []
    # A clerk sees their own.
    assert await aging(actors.clerk_a.user, kind, 3, data) == ["F8"]
    assert await aging(actors.clerk_b.user, kind, 1, data) == ["F4", "F6"]


async def test_partners_get_no_aging_lists(actors, data):
    with pytest.raises(AccessDenied):
        reports.aging_leads(actors.partner.user, AgingKind.NEW, 5)


# --- time series -----------------------------------------------------------------------------


def points(series: list[reports.TimeSeriesPoint]) -> list[tuple[str, int, int, int]]:
    return [
        (point.start.isoformat(), point.created, point.successful, point.unsuccessful)
        for point in series
    ]


async def test_weekly_series_with_an_empty_week(actors, data):
    series = await reports.lead_time_series(actors.manager.user, ReportInterval.WEEK, at(0), at(28))
    assert points(series) == [
        # created: F1-F5, F8, W1, W3; closed: F1 (successful), F2 and F3
        ("2024-03-04", 8, 1, 2),
        ("2024-03-11", 2, 0, 1),  # F6, F7 created; F7 closed
        ("2024-03-18", 0, 0, 0),  # nothing happened in week 3
        ("2024-03-25", 1, 1, 0),  # W2 created, W1 closed
    ]


async def test_partial_weeks_count_only_within_the_period(actors, data):
    # Wednesday 12:00 of week 1 to Wednesday 00:00 of week 2.
    series = await reports.lead_time_series(
        actors.manager.user, ReportInterval.WEEK, at(2, 12), at(9)
    )
    assert points(series) == [
        ("2024-03-04", 2, 0, 1),  # F5, F8 created; F3 closed (F4, W3 and F2 at day 2, 00:00)
        ("2024-03-11", 2, 0, 0),  # F6, F7; F7 closed at `to`, which is excluded
    ]


async def test_daily_series_of_one_campaign(actors, data):
    series = await reports.lead_time_series(
        actors.manager.user, ReportInterval.DAY, at(0), at(3), data.fair.id
    )
    assert points(series) == [
        ("2024-03-04", 2, 0, 0),  # F1, F2 (W1 is the webinar's)
        ("2024-03-05", 1, 1, 0),  # F3; F1 closed
        ("2024-03-06", 1, 0, 1),  # F4; F2 closed
    ]


async def test_series_follow_visibility(actors, data):
    # The partner: F6 and F7 only (W3 is in a campaign no longer linked).
    partner = await reports.lead_time_series(
        actors.partner.user, ReportInterval.WEEK, at(0), at(28)
    )
    assert points(partner) == [
        ("2024-03-04", 0, 0, 0),
        ("2024-03-11", 2, 0, 1),
        ("2024-03-18", 0, 0, 0),
        ("2024-03-25", 0, 0, 0),
    ]
    # Clerk B: F3, F4, F6, W1.
    clerk = await reports.lead_time_series(actors.clerk_b.user, ReportInterval.WEEK, at(0), at(28))
    assert points(clerk) == [
        ("2024-03-04", 3, 0, 1),
        ("2024-03-11", 1, 0, 0),
        ("2024-03-18", 0, 0, 0),
        ("2024-03-25", 0, 1, 0),
    ]
    with pytest.raises(AccessDenied):
        await reports.lead_time_series(
            actors.partner.user, ReportInterval.DAY, at(0), at(1), data.webinar.id
        )


# --- bad input -------------------------------------------------------------------------------


async def refused(call, code: ErrorCode, field: str, words: str) -> None:
    with pytest.raises(DomainError) as caught:
        await call
    assert (caught.value.code, caught.value.field) == (code, (field,)), caught.value.message
    assert words in caught.value.message


async def test_bad_input_is_refused_with_a_clear_message(actors, data):
    manager = actors.manager.user
    await refused(
        reports.campaign_reports(manager, start=at(3), end=at(3)), ErrorCode.INVALID, "to", "empty"
    )
    await refused(
        reports.clerk_reports(manager, start=at(4), end=at(3)), ErrorCode.INVALID, "to", "before"
    )
    await refused(
        reports.campaign_reports(manager, 999_999), ErrorCode.NOT_FOUND, "campaignId", "campaign"
    )
    await refused(
        reports.lead_time_series(manager, ReportInterval.DAY, at(0), at(0) + timedelta(days=1101)),
        ErrorCode.TOO_MANY,
        "to",
        "1101 days",
    )
    await refused(
        reports.lead_time_series(manager, ReportInterval.DAY, at(0), at(0), 999_999),
        ErrorCode.INVALID,
        "to",
        "empty",
    )
    for days in (0, -1, 3651):
        with pytest.raises(DomainError) as caught:
            reports.aging_leads(manager, AgingKind.NEW, days)
        assert caught.value.field == ("olderThanDays",)
        assert "between 1 and 3650" in caught.value.message
    # The limits themselves are accepted.
    await reports.lead_time_series(manager, ReportInterval.DAY, at(0), at(0) + timedelta(days=1100))
    await reports.lead_time_series(
        manager, ReportInterval.WEEK, at(0), at(0) + timedelta(weeks=1100)
    )
    assert await reports.aging_leads(manager, AgingKind.NEW, 3650).count() == 0


# --- cost ------------------------------------------------------------------------------------


async def statements(call) -> int:
    with QueryCounter() as counter:
        await call
    return counter.count


async def report_statements(actor, start=None, end=None) -> dict[str, int]:
    start, end = start or at(0), end or at(28)
    return {
        "campaigns": await statements(reports.campaign_reports(actor, start=start, end=end)),
        "clerks": await statements(reports.clerk_reports(actor, start=start, end=end)),
        "series": await statements(reports.lead_time_series(actor, ReportInterval.DAY, start, end)),
    }


async def all_report_statements(actors) -> dict[str, dict[str, int]]:
    return {
        "manager": await report_statements(actors.manager.user),
        # Two partial days: each is read from the leads, the days between from the rollups.
        "manager, partial days": await report_statements(
            actors.manager.user, at(0, 12), at(27, 12)
        ),
        "clerk": await report_statements(actors.clerk_a.user),
    }


async def test_reports_cost_a_fixed_number_of_statements(actors, data):
    manager = actors.manager.user
    before = await all_report_statements(actors)
    assert before == {
        # Campaigns, rolled-up counts and reasons, medians | clerks, open leads, rolled-up
        # closes, medians, oldest | rolled-up days.
        "manager": {"campaigns": 3, "clerks": 5, "series": 1},
        # Counts and reasons, closes, and events of each partial day.
        "manager, partial days": {"campaigns": 7, "clerks": 7, "series": 3},
        # A clerk's own leads are counted from the leads: stats and reasons separately.
        "clerk": {"campaigns": 4, "clerks": 5, "series": 1},
    }
    # Thirty more leads, assigned, answered and closed, in all campaigns and by both clerks.
    for campaign in (data.fair, data.webinar, data.empty):
        created = await leads.create_leads(
            manager,
            campaign.id,
            [
                LeadIntake(last_name=f"More {i}", email=f"more{campaign.id}.{i}@x.example")
                for i in range(10)
            ],
        )
        for position, lead in enumerate(created):
            clerk = actors.clerk_a.user if position % 2 else actors.clerk_b.user
            await leads.assign_leads(manager, [lead.id], clerk.id)
            await leads.record_feedback(clerk, lead.id, Channel.PHONE, "Called.")
            if position % 3 == 0:
                await leads.close_lead(clerk, lead.id, Outcome.SUCCESSFUL)
    assert await all_report_statements(actors) == before
