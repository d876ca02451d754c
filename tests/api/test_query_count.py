"""No N+1: a page of leads (or tasks, or opportunities) with everything the overview shows costs
the same number of SQL statements for 10 rows as for 100, counted at the database client while
the real endpoint answers over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadflow import clock
from leadflow.db.enums import ActivityKind, Channel, CloseReason, Outcome
from leadflow.db.models import Lead, Opportunity
from leadflow.services import activities, campaigns, leads, opportunities
from leadflow.services.leads import LeadIntake
from tests.helpers import QueryCounter, data_of, gql

CAMPAIGNS = 10
LEADS_PER_CAMPAIGN = 26  # 260 leads; a page of 100 spans five campaigns, a page of 10 one
PAGE_SIZES = (10, 100)

USER = "id name email role active openLeadCount"
LEAD = f"""
  id status createdAt assignedAt closedAt outcome closeReason closeNote
  contact {{ id firstName lastName company email phone city }}
  campaign {{ id name stats {{ total new active done successful conversionRate }} }}
  assignee {{ {USER} }}
  closedBy {{ id name }}
  feedback {{ id channel note createdAt author {{ id name }} }}
  history {{
    kind at note outcome closeReason
    actor {{ id name }} assignee {{ id name }} previousAssignee {{ id name }}
  }}
  opportunity {{
    id title stage expectedValue
    owner {{ {USER} }}
    contact {{ id lastName }}
    history {{ kind at note actor {{ id }} owner {{ id name }} previousOwner {{ id name }} }}
  }}
"""
LEADS_PAGE = f"""
query Leads($first: Int!) {{
  leads(first: $first) {{
    totalCount
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{ cursor node {{ {LEAD} }} }}
  }}
}}"""
TASKS_PAGE = f"""
query Tasks($first: Int!) {{
  myTasks(first: $first) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ {LEAD} }} }}
  }}
}}"""
OPPORTUNITIES_PAGE = f"""
query Opportunities($first: Int!) {{
  opportunities(first: $first) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    edges {{
      cursor
      node {{
        id title stage expectedValue createdAt
        contact {{ id firstName lastName company }}
        owner {{ {USER} }}
        history {{ kind at note actor {{ id name }} owner {{ id }} previousOwner {{ id }} }}
        lead {{ {LEAD} }}
      }}
    }}
  }}
}}"""


@pytest.fixture
async def busy_database(actors) -> None:
    """260 leads in 10 campaigns, all assigned to clerk A. Every run of ten leads holds each
    kind of row the page shows, so a page of 10 and a page of 100 have the same shape:
    4 closed successfully (one of their opportunities handed over to clerk B), 1 closed
    unsuccessfully, 1 reassigned to clerk B, 4 still active, 2 with feedback.

    The same shape matters because a DataLoader batches per level of the query: a user first
    met in an opportunity's owner rather than in a lead's assignee costs one more (bounded)
    batch. That is not an N+1, but it would make the counts differ for reasons other than the
    page size."""
    manager, clerk_a, clerk_b = actors.manager.user, actors.clerk_a.user, actors.clerk_b.user
    lead_ids: list[int] = []
    for number in range(CAMPAIGNS):
        campaign = await campaigns.create_campaign(manager, f"Campaign {number}")
        created = await leads.create_leads(
            manager,
            campaign.id,
            [
                LeadIntake(
                    last_name=f"Person {number}-{i}",
                    first_name="Pat",
                    company=f"Firm {i}",
                    email=f"p{number}.{i}@example.com",
                )
                for i in range(LEADS_PER_CAMPAIGN)
            ],
        )
        lead_ids += [lead.id for lead in created]
    await leads.assign_leads(manager, lead_ids, clerk_a.id)
    for position, lead_id in enumerate(lead_ids):
        kind = position % 10
        if kind in (5, 6):
            await leads.record_feedback(clerk_a, lead_id, Channel.PHONE, f"Called {position}.")
        if kind in (0, 2, 4, 6):
            result = await leads.close_lead(clerk_a, lead_id, Outcome.SUCCESSFUL)
            if kind == 0:
                assert result.opportunity is not None
                await opportunities.hand_over_opportunity(
                    manager, result.opportunity.id, clerk_b.id, "Cover."
                )
        elif kind == 1:
            await leads.close_lead(clerk_a, lead_id, Outcome.UNSUCCESSFUL, CloseReason.OTHER)
        elif kind == 3:
            await leads.reassign_lead(manager, lead_id, clerk_b.id)


async def count_statements(client, query: str, first: int, actor) -> tuple[int, dict[str, Any]]:
    with QueryCounter() as counter:
        body = await gql(client, query, {"first": first}, actor=actor)
    return counter.count, data_of(body)


async def statements_per_page_size(client, query: str, actor, name: str) -> dict[int, int]:
    counts = {}
    for first in PAGE_SIZES:
        counts[first], data = await count_statements(client, query, first, actor)
        assert len(data[name]["edges"]) == first, f"{name}: the data must fill the page"
    return counts


async def test_leads_page_costs_a_fixed_number_of_statements(client, actors, busy_database):
    counts = await statements_per_page_size(client, LEADS_PAGE, actors.manager, "leads")
    print(f"leads page statements: {counts}")
    assert counts[10] == counts[100], counts

    # The page really carries what was counted: opportunities, feedback, reassignments.
    _, data = await count_statements(client, LEADS_PAGE, 100, actors.manager)
    nodes = [edge["node"] for edge in data["leads"]["edges"]]
    assert data["leads"]["totalCount"] == CAMPAIGNS * LEADS_PER_CAMPAIGN
    assert len({node["campaign"]["id"] for node in nodes}) >= 4  # stats batched
    assert sum(1 for node in nodes if node["opportunity"]) >= 40
    assert any(
        node["opportunity"]["history"][-1]["previousOwner"] for node in nodes if node["opportunity"]
    )
    assert sum(1 for node in nodes if node["feedback"]) >= 10
    assert any(event["previousAssignee"] for node in nodes for event in node["history"])
    assert {node["status"] for node in nodes} == {"ACTIVE", "DONE"}


async def test_task_list_costs_a_fixed_number_of_statements(client, actors, busy_database):
    counts = await statements_per_page_size(client, TASKS_PAGE, actors.clerk_a, "myTasks")
    print(f"myTasks page statements: {counts}")
    assert counts[10] == counts[100], counts


async def test_opportunities_page_costs_a_fixed_number_of_statements(client, actors, busy_database):
    counts = await statements_per_page_size(
        client, OPPORTUNITIES_PAGE, actors.manager, "opportunities"
    )
    print(f"opportunities page statements: {counts}")
    assert counts[10] == counts[100], counts
    # A clerk's view (owned, or from their own leads) is batched the same way.
    clerk_counts = await statements_per_page_size(
        client, OPPORTUNITIES_PAGE, actors.clerk_a, "opportunities"
    )
    assert clerk_counts[10] == clerk_counts[100], clerk_counts


ACTIVITY_FIELDS = "id kind dueAt note doneAt doneNote assignee { id name } createdBy { id name }"
FOLLOW_UPS_PAGE = f"""
query FollowUps($first: Int!) {{
  leads(first: $first) {{
    edges {{ node {{
      id dueState
      nextActivity {{ {ACTIVITY_FIELDS} }}
      activities {{ {ACTIVITY_FIELDS} }}
      history {{ kind activity {{ {ACTIVITY_FIELDS} }} }}
      opportunity {{
        id dueState nextActivity {{ id dueAt }} activities {{ {ACTIVITY_FIELDS} }}
        history {{ kind activity {{ id kind }} }}
      }}
    }} }}
  }}
}}"""


async def test_follow_ups_on_a_page_cost_a_fixed_number_of_statements(
    client, actors, busy_database
):
    """nextActivity, activities, dueState and the history's activities of every lead (and of
    its opportunity) on a page: batched per level, the same count for 10 rows as for 100."""
    manager = actors.manager.user
    soon = clock.now() + timedelta(days=1)
    open_leads = await Lead.filter(closed_at=None).values_list("id", flat=True)
    for lead_id in open_leads:
        subject = activities.SubjectRef(activities.SubjectKind.LEAD, lead_id)
        first = await activities.schedule_activity(manager, subject, ActivityKind.CALL, soon)
        await activities.schedule_activity(
            manager, subject, ActivityKind.TASK, soon, "Prepare", assignee_id=manager.id
        )
        step = activities.PlannedStep(ActivityKind.MEETING, soon + timedelta(days=2))
        await activities.complete_activity(manager, first.id, "Reached.", step)
    for opportunity_id in await Opportunity.filter(closed_at=None).values_list("id", flat=True):
        subject = activities.SubjectRef(activities.SubjectKind.OPPORTUNITY, opportunity_id)
        await activities.schedule_activity(manager, subject, ActivityKind.EMAIL, soon)

    # The setup takes long enough for the import watchdog's round (every 60 s) to fall into a
    # count: only the page's own statements are counted.
    counts = {}
    for first in PAGE_SIZES:
        with QueryCounter() as counter:
            data = data_of(
                await gql(client, FOLLOW_UPS_PAGE, {"first": first}, actor=actors.manager)
            )
        assert len(data["leads"]["edges"]) == first
        counts[first] = sum(1 for statement in counter.statements if not _of_jobs(statement))
    print(f"follow-ups page statements: {counts}")
    assert counts[10] == counts[100], counts
    nodes = [edge["node"] for edge in data["leads"]["edges"]]
    assert sum(1 for node in nodes if node["nextActivity"]) >= 40
    assert sum(len(node["activities"]) for node in nodes) >= 120
    assert {node["dueState"] for node in nodes} == {"UPCOMING", "NONE"}
    assert any(node["opportunity"] and node["opportunity"]["nextActivity"] for node in nodes)


def _of_jobs(statement: str) -> bool:
    """A statement of the background jobs (import watchdog, login pruning), not of a page."""
    return any(table in statement for table in ('"lead_imports"', '"import_sources"', '"login_'))
