"""Reports through /graphql: the figures of the fixed data set in tests/reports_data.py (the
hand computation is in its docstring and in tests/services/test_reports.py), what each kind of
viewer gets (a read-only token reads them like its manager; a clerk only their own; a partner
only campaign figures of its own leads in linked campaigns), the aging lists as lead
connections to act on, bad arguments as top-level errors, and a fixed number of SQL statements
per report, however many leads there are."""

from __future__ import annotations

from typing import Any

from leadflow.api.ids import encode_id
from leadflow.api.pagination import encode_cursor
from leadflow.db.enums import Channel, Outcome
from leadflow.db.models import Lead
from leadflow.services import leads
from leadflow.services.leads import LeadIntake
from tests.databases import shared_world
from tests.helpers import Actor, QueryCounter, data_of, error_codes, gql
from tests.reports_data import DAY, HOUR, at, build_report_data

CAMPAIGN_REPORTS = """
query($campaignId: ID, $from: DateTime, $to: DateTime) {
  campaignReports(campaignId: $campaignId, from: $from, to: $to) {
    campaign { name }
    total new active done successful unsuccessful conversionRate
    unsuccessfulByReason { reason count }
    medianSecondsToAssignment medianSecondsToFirstFeedback medianSecondsToClose
  }
}"""

CLERK_REPORTS = """
query($from: DateTime, $to: DateTime) {
  clerkReports(from: $from, to: $to) {
    clerk { name active }
    openLeads closedInPeriod successfulInPeriod successRate medianSecondsToFirstFeedback
    oldestWaitingLead { id status contact { lastName } assignee { name } }
  }
}"""

AGING = """
query($kind: AgingKind!, $days: Int!, $campaignId: ID, $first: Int, $after: String) {
  agingLeads(kind: $kind, olderThanDays: $days, campaignId: $campaignId, first: $first,
             after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node { id status waitingSince contact { lastName } campaign { name } assignee { name } }
    }
  }
}"""

SERIES = """
query($interval: ReportInterval!, $from: DateTime!, $to: DateTime!, $campaignId: ID) {
  leadTimeSeries(interval: $interval, from: $from, to: $to, campaignId: $campaignId) {
    start created successful unsuccessful
  }
}"""


# The data set, built once per module and backend; each test that uses it starts from a copy.
_data_once, database_state, data = shared_world(
    "data", lambda client, actors: build_report_data(actors)
)


def iso(day: int, hour: int = 0) -> str:
    return at(day, hour).isoformat()


async def read(client, actor: Actor, query: str, **variables: Any) -> Any:
    body = await gql(client, query, variables, actor=actor)
    (value,) = data_of(body).values()
    return value


def reasons(**counts: int) -> list[dict[str, Any]]:
    order = ("NOT_INTERESTED", "UNREACHABLE", "WRONG_CONTACT_DATA", "DUPLICATE", "OTHER")
    return [{"reason": reason, "count": counts.get(reason, 0)} for reason in order]


EMPTY_HALL = {
    "campaign": {"name": "Empty Hall"},
    "total": 0,
    "new": 0,
    "active": 0,
    "done": 0,
    "successful": 0,
    "unsuccessful": 0,
    "conversionRate": None,
    "unsuccessfulByReason": reasons(),
    "medianSecondsToAssignment": None,
    "medianSecondsToFirstFeedback": None,
    "medianSecondsToClose": None,
}
FAIR_ALL_TIME = {
    "campaign": {"name": "Fair"},
    "total": 8,
    "new": 1,
    "active": 3,
    "done": 4,
    "successful": 1,
    "unsuccessful": 3,
    "conversionRate": 0.25,
    "unsuccessfulByReason": reasons(NOT_INTERESTED=2, UNREACHABLE=1),
    "medianSecondsToAssignment": 2 * HOUR,  # hours 1 1 2 2 3 4 8
    "medianSecondsToFirstFeedback": 4 * HOUR,  # hours 1 2 4 16 22
    "medianSecondsToClose": 1.5 * DAY,  # days 1 1 2 3
}
WEBINAR_ALL_TIME = {
    "campaign": {"name": "Webinar"},
    "total": 3,
    "new": 2,
    "active": 0,
    "done": 1,
    "successful": 1,
    "unsuccessful": 0,
    "conversionRate": 1.0,
    "unsuccessfulByReason": reasons(),
    "medianSecondsToAssignment": 12 * HOUR,
    "medianSecondsToFirstFeedback": 6 * HOUR,
    "medianSecondsToClose": 21 * DAY,
}
# The partner's own leads of the fair (F6, F7); the same figures as the fair in week 2.
FAIR_OF_THE_PARTNER = {
    "campaign": {"name": "Fair"},
    "total": 2,
    "new": 0,
    "active": 1,
    "done": 1,
    "successful": 0,
    "unsuccessful": 1,
    "conversionRate": 0.0,
    "unsuccessfulByReason": reasons(NOT_INTERESTED=1),
    "medianSecondsToAssignment": 2 * HOUR,  # hours 1 and 3
    "medianSecondsToFirstFeedback": 1 * HOUR,
    "medianSecondsToClose": 1 * DAY,
}


# --- campaign reports ------------------------------------------------------------------------


async def test_campaign_reports_for_the_manager_and_its_read_only_token(client, actors, data):
    expected = [EMPTY_HALL, FAIR_ALL_TIME, WEBINAR_ALL_TIME]
    assert await read(client, actors.manager, CAMPAIGN_REPORTS) == expected
    # A dashboard's read-only token reads exactly the same.
    assert await read(client, actors.read_only_manager, CAMPAIGN_REPORTS) == expected
    assert await read(client, actors.admin, CAMPAIGN_REPORTS) == expected


async def test_campaign_report_for_a_period_and_one_campaign(client, actors, data):
    fair = encode_id("Campaign", data.fair.id)
    week_one = await read(
        client, actors.manager, CAMPAIGN_REPORTS, campaignId=fair, **{"from": iso(0), "to": iso(7)}
    )
    assert week_one == [
        {
            "campaign": {"name": "Fair"},
            "total": 6,  # F6 was created at `to`
            "new": 1,
            "active": 2,
            "done": 3,
            "successful": 1,
            "unsuccessful": 2,
            "conversionRate": 0.3333,
            "unsuccessfulByReason": reasons(NOT_INTERESTED=1, UNREACHABLE=1),
            "medianSecondsToAssignment": 2 * HOUR,  # hours 1 2 2 4 8
            "medianSecondsToFirstFeedback": 10 * HOUR,  # hours 2 4 16 22
            "medianSecondsToClose": 2 * DAY,  # days 1 2 3
        }
    ]
    week_two = await read(
        client, actors.manager, CAMPAIGN_REPORTS, campaignId=fair, **{"from": iso(7), "to": iso(14)}
    )
    assert week_two == [FAIR_OF_THE_PARTNER]
    # An offset in the argument is honoured: 01:00 at +01:00 is 00:00 UTC.
    shifted = await read(
        client,
        actors.manager,
        CAMPAIGN_REPORTS,
        campaignId=fair,
        **{"from": "2024-03-11T01:00:00+01:00", "to": "2024-03-18T01:00:00+01:00"},
    )
    assert shifted == week_two


async def test_a_clerk_and_a_partner_get_figures_of_their_own_leads(client, actors, data):
    clerk = await read(client, actors.clerk_a, CAMPAIGN_REPORTS)
    assert [report["campaign"]["name"] for report in clerk] == ["Empty Hall", "Fair", "Webinar"]
    assert {key: clerk[1][key] for key in ("total", "active", "done", "conversionRate")} == {
        "total": 4,  # F1, F2, F7, F8
        "active": 1,
        "done": 3,
        "conversionRate": 0.3333,
    }
    assert clerk[2]["total"] == 0
    # The partner: only the linked fair, over its own two leads.
    assert await read(client, actors.partner, CAMPAIGN_REPORTS) == [FAIR_OF_THE_PARTNER]
    webinar = encode_id("Campaign", data.webinar.id)
    body = await gql(client, CAMPAIGN_REPORTS, {"campaignId": webinar}, actor=actors.partner)
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None


# --- clerk reports ---------------------------------------------------------------------------


async def test_clerk_reports_for_the_manager_and_its_read_only_token(client, actors, data):
    expected = [
        {
            "clerk": {"name": "Bruno Clerk", "active": True},
            "openLeads": 2,
            "closedInPeriod": 1,  # F3; W1 closed on day 21
            "successfulInPeriod": 0,
            "successRate": 0.0,
            "medianSecondsToFirstFeedback": 11 * HOUR,  # F4 16 hours, W1 6 hours
            "oldestWaitingLead": {
                "id": encode_id("Lead", data.lead_ids["F4"]),
                "status": "ACTIVE",
                "contact": {"lastName": "F4"},
                "assignee": {"name": "Bruno Clerk"},
            },
        },
        {
            "clerk": {"name": "Clara Clerk", "active": True},
            "openLeads": 1,
            "closedInPeriod": 2,  # F1 at `from`, F2; F7 at `to` is excluded
            "successfulInPeriod": 1,
            "successRate": 0.5,
            "medianSecondsToFirstFeedback": 11.5 * HOUR,  # F7 1 hour, F8 22 hours
            "oldestWaitingLead": {
                "id": encode_id("Lead", data.lead_ids["F8"]),
                "status": "ACTIVE",
                "contact": {"lastName": "F8"},
                "assignee": {"name": "Clara Clerk"},
            },
        },
        {
            "clerk": {"name": "Gerd Gone", "active": False},
            "openLeads": 0,
            "closedInPeriod": 0,
            "successfulInPeriod": 0,
            "successRate": None,
            "medianSecondsToFirstFeedback": None,
            "oldestWaitingLead": None,
        },
    ]
    period = {"from": iso(1), "to": iso(9)}
    assert await read(client, actors.manager, CLERK_REPORTS, **period) == expected
    assert await read(client, actors.read_only_manager, CLERK_REPORTS, **period) == expected


async def test_a_clerk_gets_only_their_own_report_and_a_partner_none(client, actors, data):
    own = await read(client, actors.clerk_b, CLERK_REPORTS)
    assert len(own) == 1
    assert own[0]["clerk"]["name"] == "Bruno Clerk"
    # All time: F3 and W1 closed, one of them successfully.
    assert (own[0]["closedInPeriod"], own[0]["successfulInPeriod"], own[0]["successRate"]) == (
        2,
        1,
        0.5,
    )
    # Refused before anything runs (the partners' field table has no clerk reports).
    body = await gql(client, CLERK_REPORTS, actor=actors.partner)
    assert error_codes(body) == ["FORBIDDEN"]
    assert "clerkReports" in body["errors"][0]["message"]
    assert body.get("data") is None


# --- aging lists -----------------------------------------------------------------------------


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["contact"]["lastName"] for edge in connection["edges"]]


async def test_aging_lists_are_lead_connections_to_act_on(client, actors, data):
    # The data set is from 2024, so thirty days back from today covers all of it; the
    # boundaries are tested at the service level with a fixed "now".
    new = await read(client, actors.manager, AGING, kind="NEW", days=30)
    assert new["totalCount"] == 3
    assert names(new) == ["W3", "F5", "W2"]  # longest waiting first: created days 2, 3, 22
    waiting = await read(client, actors.manager, AGING, kind="ACTIVE_WITHOUT_FEEDBACK", days=30)
    # Waiting since: F4 reassigned on day 5, F8's last feedback day 6, F6 assigned day 7.
    assert names(waiting) == ["F4", "F8", "F6"]
    assert [edge["node"]["waitingSince"] for edge in waiting["edges"]] == [
        at(5).isoformat(),
        at(6).isoformat(),
        at(7, 3).isoformat(),
    ]
    assert {edge["node"]["waitingSince"] for edge in new["edges"]} == {None}
    assert {edge["node"]["status"] for edge in waiting["edges"]} == {"ACTIVE"}

    # Paged like any lead list, in the same order.
    first_page = await read(client, actors.manager, AGING, kind="NEW", days=30, first=2)
    assert names(first_page) == ["W3", "F5"]
    assert first_page["pageInfo"]["hasNextPage"] is True
    rest = await read(
        client, actors.manager, AGING, kind="NEW", days=30, first=2,
        after=first_page["pageInfo"]["endCursor"],
    )  # fmt: skip
    assert names(rest) == ["W2"]
    assert rest["totalCount"] == 3
    second = await read(
        client, actors.manager, AGING, kind="ACTIVE_WITHOUT_FEEDBACK", days=30, first=1,
        after=waiting["edges"][0]["cursor"],
    )  # fmt: skip
    assert names(second) == ["F8"]
    # The last lead of a page gets feedback meanwhile, so it moves to the end of the list:
    # the next page still starts where the first ended (F6 is not skipped).
    first_two = await read(
        client, actors.manager, AGING, kind="ACTIVE_WITHOUT_FEEDBACK", days=30, first=2
    )
    assert names(first_two) == ["F4", "F8"]
    await Lead.filter(id=data.lead_ids["F8"]).update(waiting_since=at(40))
    rest_of_waiting = await read(
        client, actors.manager, AGING, kind="ACTIVE_WITHOUT_FEEDBACK", days=30, first=2,
        after=first_two["pageInfo"]["endCursor"],
    )  # fmt: skip
    assert names(rest_of_waiting) == ["F6", "F8"]
    await Lead.filter(id=data.lead_ids["F8"]).update(waiting_since=at(6))
    # A cursor of another list (no sort value) is refused, not misread.
    plain = await gql(
        client, AGING, {"kind": "NEW", "days": 30, "after": encode_cursor(data.lead_ids["F5"])},
        actor=actors.manager,
    )  # fmt: skip
    assert error_codes(plain) == ["BAD_USER_INPUT"]

    fair = encode_id("Campaign", data.fair.id)
    only_fair = await read(client, actors.manager, AGING, kind="NEW", days=30, campaignId=fair)
    assert names(only_fair) == ["F5"]

    # The manager acts on the list: distributing the waiting new lead empties it.
    lead_id = only_fair["edges"][0]["node"]["id"]
    body = await gql(
        client,
        "mutation($input: AssignLeadsInput!) "
        "{ assignLeads(input: $input) { userErrors { code } } }",
        {"input": {"leadIds": [lead_id], "assigneeId": actors.clerk_a.gid}},
        actor=actors.manager,
    )
    assert data_of(body)["assignLeads"]["userErrors"] == []
    after = await read(client, actors.manager, AGING, kind="NEW", days=30, campaignId=fair)
    assert names(after) == []

    # The read-only token reads the lists; a clerk gets their own; a partner none.
    token = await read(client, actors.read_only_manager, AGING, kind="NEW", days=30)
    assert names(token) == ["W3", "W2"]
    clerk = await read(client, actors.clerk_b, AGING, kind="ACTIVE_WITHOUT_FEEDBACK", days=30)
    assert names(clerk) == ["F4", "F6"]
    body = await gql(client, AGING, {"kind": "NEW", "days": 30}, actor=actors.partner)
    assert error_codes(body) == ["FORBIDDEN"]


# --- time series -----------------------------------------------------------------------------


async def test_time_series_per_week_and_per_day(client, actors, data):
    weekly = await read(
        client, actors.read_only_manager, SERIES, interval="WEEK", **{"from": iso(0), "to": iso(28)}
    )
    assert weekly == [
        {"start": "2024-03-04", "created": 8, "successful": 1, "unsuccessful": 2},
        {"start": "2024-03-11", "created": 2, "successful": 0, "unsuccessful": 1},
        {"start": "2024-03-18", "created": 0, "successful": 0, "unsuccessful": 0},
        {"start": "2024-03-25", "created": 1, "successful": 1, "unsuccessful": 0},
    ]
    fair = encode_id("Campaign", data.fair.id)
    daily = await read(
        client,
        actors.manager,
        SERIES,
        interval="DAY",
        campaignId=fair,
        **{"from": iso(0), "to": iso(3)},
    )
    assert daily == [
        {"start": "2024-03-04", "created": 2, "successful": 0, "unsuccessful": 0},
        {"start": "2024-03-05", "created": 1, "successful": 1, "unsuccessful": 0},
        {"start": "2024-03-06", "created": 1, "successful": 0, "unsuccessful": 1},
    ]
    partner = await read(
        client, actors.partner, SERIES, interval="WEEK", **{"from": iso(7), "to": iso(14)}
    )
    assert partner == [{"start": "2024-03-11", "created": 2, "successful": 0, "unsuccessful": 1}]


# --- bad input -------------------------------------------------------------------------------


async def test_bad_arguments_are_top_level_errors(client, actors, data):
    manager = actors.manager
    lead = encode_id("Lead", data.lead_ids["F1"])
    cases = [
        (CAMPAIGN_REPORTS, {"from": iso(3), "to": iso(3)}, "BAD_USER_INPUT", "empty"),
        (CAMPAIGN_REPORTS, {"campaignId": lead}, "BAD_USER_INPUT", "Expected a Campaign ID"),
        (
            CAMPAIGN_REPORTS,
            {"campaignId": encode_id("Campaign", 99999)},
            "NOT_FOUND",
            "does not exist",
        ),
        (CLERK_REPORTS, {"from": iso(5), "to": iso(1)}, "BAD_USER_INPUT", "before"),
        (AGING, {"kind": "NEW", "days": 0}, "BAD_USER_INPUT", "between 1 and 3650"),
        (AGING, {"kind": "NEW", "days": 3651}, "BAD_USER_INPUT", "between 1 and 3650"),
        (AGING, {"kind": "NEW", "days": 5, "first": 101}, "BAD_USER_INPUT", "'first'"),
        (
            SERIES,
            {"interval": "DAY", "from": iso(0), "to": at(1101).isoformat()},
            "BAD_USER_INPUT",
            "at most 1100",
        ),
        (SERIES, {"interval": "WEEK", "from": iso(9), "to": iso(2)}, "BAD_USER_INPUT", "empty"),
    ]
    for query, variables, code, words in cases:
        body = await gql(client, query, variables, actor=manager)
        assert error_codes(body) == [code], (variables, body)
        assert words in body["errors"][0]["message"], body
    # A value GraphQL itself cannot read never reaches the service.
    body = await gql(
        client, SERIES, {"interval": "MONTH", "from": iso(0), "to": iso(1)}, actor=manager
    )
    assert body.get("errors") and "data" not in body
    body = await gql(client, AGING, {"kind": "NEW", "days": 5})
    assert error_codes(body) == ["UNAUTHENTICATED"]


# --- cost ------------------------------------------------------------------------------------

DASHBOARD = """
query($from: DateTime!, $to: DateTime!) {
  campaignReports(from: $from, to: $to) {
    campaign { id name } total new active done successful unsuccessful conversionRate
    unsuccessfulByReason { reason count }
    medianSecondsToAssignment medianSecondsToFirstFeedback medianSecondsToClose
  }
  clerkReports(from: $from, to: $to) {
    clerk { id name } openLeads closedInPeriod successfulInPeriod successRate
    medianSecondsToFirstFeedback
    oldestWaitingLead { id status createdAt contact { lastName } campaign { name } }
  }
  leadTimeSeries(interval: WEEK, from: $from, to: $to) { start created successful unsuccessful }
  newWaiting: agingLeads(kind: NEW, olderThanDays: 1, first: 100) {
    totalCount edges { node { id contact { lastName } campaign { name } } }
  }
  activeWaiting: agingLeads(kind: ACTIVE_WITHOUT_FEEDBACK, olderThanDays: 1, first: 100) {
    totalCount edges { node { id contact { lastName } assignee { name } } }
  }
}"""


async def dashboard_statements(client, actor: Actor) -> tuple[int, dict[str, Any]]:
    period = {"from": iso(0), "to": "2030-01-01T00:00:00+00:00"}
    with QueryCounter() as counter:
        body = await gql(client, DASHBOARD, period, actor=actor)
    return counter.count, data_of(body)


async def test_the_dashboard_costs_a_fixed_number_of_statements(client, actors, data):
    manager = actors.manager.user
    before, first = await dashboard_statements(client, actors.read_only_manager)
    # Forty more leads in every campaign, assigned, answered, some closed; some left new.
    for campaign in (data.fair, data.webinar, data.empty):
        created = await leads.create_leads(
            manager,
            campaign.id,
            [
                LeadIntake(last_name=f"More {i}", email=f"more{campaign.id}.{i}@x.example")
                for i in range(40)
            ],
        )
        for position, lead in enumerate(created[:30]):
            clerk = actors.clerk_a.user if position % 2 else actors.clerk_b.user
            await leads.assign_leads(manager, [lead.id], clerk.id)
            await leads.record_feedback(clerk, lead.id, Channel.PHONE, "Called.")
            if position % 3 == 0:
                await leads.close_lead(clerk, lead.id, Outcome.SUCCESSFUL)
    after, second = await dashboard_statements(client, actors.read_only_manager)
    print(f"dashboard statements: {before} before, {after} after")
    assert after == before, (before, after)
    # Authentication, campaigns with 3 statements of figures and the medians, clerks with 3 and
    # their waiting leads, the series, two aging pages with their counts: a small number.
    assert before <= 16, before
    # The data did change, so the same statements counted more.
    assert second["campaignReports"][1]["total"] == first["campaignReports"][1]["total"] + 40
    assert len(second["leadTimeSeries"]) == len(first["leadTimeSeries"])
