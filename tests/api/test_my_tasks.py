"""myTasks(filter, orderBy) and myTaskCounts over HTTP: a clerk's ACTIVE leads in the order
each TaskOrder names (NEXT_DUE: overdue, today, upcoming by due time, then nothing scheduled
by the longest wait), walked page by page; the due sections by the viewer's today (the
Time-Zone header moves it), their counts in one statement; campaign and search filters; a
clerk sees only their own (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from leadflow.api.ids import encode_id
from leadflow.api.rows import LEAD_COLUMNS
from leadflow.db.enums import DueState, Outcome
from leadflow.db.models import Lead
from leadflow.services import campaigns, keyset, lead_lists, leads
from leadflow.services.due import Today
from leadflow.services.leads import LeadIntake
from tests.helpers import Actor, Actors, QueryCounter, data_of, error_codes, mutate_ok

TASKS = """
query($filter: TaskFilter, $orderBy: TaskOrder, $first: Int, $after: String) {
  myTasks(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id status assignee { id } } }
  }
}"""
COUNTS = "{ myTaskCounts { overdue today upcoming none } }"

ASSIGNED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class World:
    tasks: list[int]  # clerk A's ACTIVE leads
    others: list[int]  # clerk A's closed lead, clerk B's, a NEW one
    campaign_ids: list[int]


async def build_world(actors: Actors, due_at: Callable[[int], datetime | None]) -> World:
    """Clerk A: 12 ACTIVE leads in two campaigns, due at `due_at(position)`, waits and
    assignments with ties; one closed. Clerk B: two ACTIVE leads due long ago. One NEW."""
    manager = actors.manager.user
    fair = await campaigns.create_campaign(manager, "Messe")
    web = await campaigns.create_campaign(manager, "Web")
    names = ["Krause", "Lang", "Huber", "Roth", "Beck", "Sommer", "Franke", "Graf"]
    names += ["Kuhn", "Vogt", "Jung", "Haas", "Stein", "Lorenz", "Brandt", "Engel"]
    ids: list[int] = []
    for index, name in enumerate(names):
        campaign = fair if index % 2 else web
        intake = LeadIntake(last_name=name, company=f"{name} GmbH", phone=f"040 200{index}")
        ids += [lead.id for lead in await leads.create_leads(manager, campaign.id, [intake])]
    clerk_a, clerk_b = actors.clerk_a.user, actors.clerk_b.user
    await leads.assign_leads(manager, ids[:13], clerk_a.id)
    await leads.assign_leads(manager, ids[13:15], clerk_b.id)  # ids[15] stays NEW
    await leads.close_lead(clerk_a, ids[12], Outcome.SUCCESSFUL)
    for position, lead_id in enumerate(ids[:12]):
        await Lead.filter(id=lead_id).update(
            next_due_at=due_at(position),
            waiting_since=ASSIGNED + timedelta(hours=(position * 7) % 4),
            assigned_at=ASSIGNED + timedelta(hours=position // 3),
        )
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    await Lead.filter(id__in=ids[12:]).update(next_due_at=long_ago)
    return World(tasks=ids[:12], others=ids[12:], campaign_ids=[fair.id, web.id])


def due_around_today(today: Today) -> Callable[[int], datetime | None]:
    """Two overdue (a tie), three today (two at its first moment), two upcoming, five with
    nothing scheduled."""
    moments: dict[int, datetime] = {
        0: today.starts - timedelta(days=2),
        1: today.starts - timedelta(days=2),
        2: today.starts,
        3: today.ends - timedelta(microseconds=1),
        4: today.starts,
        5: today.ends,
        6: today.ends + timedelta(days=6),
    }
    return moments.get


async def post(
    client, actor: Actor, query: str, variables: dict[str, Any] | None = None, zone: str = ""
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {actor.token}"}
    if zone:
        headers["Time-Zone"] = zone
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code in (200, 400), response.text
    return response.json()


async def tasks_page(client, actor: Actor, zone: str = "", **variables: Any) -> dict[str, Any]:
    return data_of(await post(client, actor, TASKS, variables, zone))["myTasks"]


async def walk(client, actor: Actor, size: int, zone: str = "", **variables: Any) -> list[int]:
    ids: list[int] = []
    after = None
    while True:
        found = await tasks_page(client, actor, zone, first=size, after=after, **variables)
        ids += [pk(edge["node"]["id"]) for edge in found["edges"]]
        assert all(edge["node"]["status"] == "ACTIVE" for edge in found["edges"])
        assert found["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not found["pageInfo"]["hasNextPage"]:
            return ids
        assert len(found["edges"]) == size
        after = found["pageInfo"]["endCursor"]


def pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().partition(":")[2])


@dataclass(frozen=True)
class Task:
    id: int
    next_due_at: datetime | None
    waiting_since: datetime
    assigned_at: datetime


async def stored_tasks(ids: list[int]) -> list[Task]:
    rows = await Lead.filter(id__in=ids).values("id", "next_due_at", "waiting_since", "assigned_at")
    return [Task(**row) for row in rows]


EXPECTED: dict[str, Callable[[list[Task]], list[Task]]] = {
    # Scheduled first by due time (overdue, today, upcoming fall out of that), then the ones
    # with nothing scheduled, waiting longest first; ids break ties.
    "NEXT_DUE": lambda tasks: sorted(
        tasks,
        key=lambda t: (
            (0, t.next_due_at) if t.next_due_at is not None else (1, ""),
            t.waiting_since,
            t.id,
        ),
    ),
    "WAITING_LONGEST": lambda tasks: sorted(tasks, key=lambda t: (t.waiting_since, t.id)),
    "NEWEST": lambda tasks: sorted(tasks, key=lambda t: (t.assigned_at, t.id), reverse=True),
}


@pytest.mark.parametrize("order", [None, *EXPECTED])
async def test_every_order_walked_page_by_page(client, actors, order):
    world = await build_world(actors, due_around_today(Today.in_zone()))
    expected = [task.id for task in EXPECTED[order or "NEXT_DUE"](await stored_tasks(world.tasks))]
    for size in (1, 2, 5, 50):
        assert await walk(client, actors.clerk_a, size, orderBy=order) == expected, size
    if order in (None, "NEXT_DUE"):
        # The sections in their order: overdue, today, upcoming, then nothing scheduled.
        today = Today.in_zone()
        due = {task.id: task.next_due_at for task in await stored_tasks(world.tasks)}
        states = [today.state_of(due[lead_id]) for lead_id in expected]
        assert states == sorted(states, key=list(DueState).index)


async def test_due_sections_and_their_counts(client, actors):
    today = Today.in_zone()
    world = await build_world(actors, due_around_today(today))
    due = {task.id: task.next_due_at for task in await stored_tasks(world.tasks)}
    expected = {
        state: {lead_id for lead_id, moment in due.items() if today.state_of(moment) is state}
        for state in DueState
    }
    assert [len(expected[state]) for state in DueState] == [2, 3, 2, 5]
    for state in DueState:
        listed = await walk(client, actors.clerk_a, 2, filter={"due": state.value})
        assert set(listed) == expected[state], state
        counted = await tasks_page(client, actors.clerk_a, filter={"due": state.value}, first=0)
        assert counted["totalCount"] == len(expected[state])

    with QueryCounter() as counter:
        counts = data_of(await post(client, actors.clerk_a, COUNTS))["myTaskCounts"]
    assert counts == {state.value.lower(): len(expected[state]) for state in DueState}
    assert len([s for s in counter.statements if 'FROM "leads"' in s]) == 1, counter.statements

    # Clerk B's own: both overdue; a manager has no tasks.
    counts_b = data_of(await post(client, actors.clerk_b, COUNTS))["myTaskCounts"]
    assert counts_b == {"overdue": 2, "today": 0, "upcoming": 0, "none": 0}
    counts_manager = data_of(await post(client, actors.manager, COUNTS))["myTaskCounts"]
    assert counts_manager == {"overdue": 0, "today": 0, "upcoming": 0, "none": 0}


async def test_the_time_zone_header_decides_what_today_is(client, actors):
    """Due every three hours from a day and a half ago to a day and a half ahead: UTC+14's
    today is never UTC's, so the TODAY section and the counts differ, each as its zone says."""
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    moments = [now + timedelta(hours=hours) for hours in range(-33, 34, 6)]
    world = await build_world(actors, lambda position: moments[position])
    due = dict(zip(world.tasks, moments, strict=True))

    def expected(zone: str | None) -> dict[str, set[int]]:
        today = Today.in_zone(ZoneInfo(zone)) if zone else Today.in_zone()
        return {
            state.value: {lead for lead, moment in due.items() if today.state_of(moment) is state}
            for state in DueState
        }

    for zone in (None, "Etc/GMT-14", "Pacific/Pago_Pago", "Europe/Berlin"):
        sections = expected(zone)
        for state, lead_ids in sections.items():
            found = await walk(client, actors.clerk_a, 4, zone or "", filter={"due": state})
            assert set(found) == lead_ids, (zone, state)
        counts = data_of(await post(client, actors.clerk_a, COUNTS, zone=zone or ""))
        assert counts["myTaskCounts"] == {
            state.lower(): len(lead_ids) for state, lead_ids in sections.items()
        }
    assert expected(None)["TODAY"] != expected("Etc/GMT-14")["TODAY"]

    body = await post(client, actors.clerk_a, COUNTS, zone="Mars/Olympus_Mons")
    assert "errors" in body


async def test_campaign_and_search_filters(client, actors):
    world = await build_world(actors, due_around_today(Today.in_zone()))
    tasks = await stored_tasks(world.tasks)
    fair = encode_id("Campaign", world.campaign_ids[0])
    in_fair = [t for t in tasks if world.tasks.index(t.id) % 2]
    expected = [t.id for t in EXPECTED["NEXT_DUE"](in_fair)]
    assert await walk(client, actors.clerk_a, 2, filter={"campaignId": fair}) == expected

    # Words match name, company and email; all must match.
    assert await walk(client, actors.clerk_a, 5, filter={"search": "krause"}) == [world.tasks[0]]
    assert await walk(client, actors.clerk_a, 5, filter={"search": "GmbH Lang"}) == [world.tasks[1]]
    # Clerk B's lead "Lorenz" is not clerk A's task; the closed "Stein" is no task either.
    assert await walk(client, actors.clerk_a, 5, filter={"search": "Lorenz"}) == []
    assert await walk(client, actors.clerk_a, 5, filter={"search": "Stein"}) == []
    # All at once.
    combined = {"campaignId": fair, "due": "TODAY", "search": "GmbH"}
    today_in_fair = {world.tasks[3]}
    assert set(await walk(client, actors.clerk_a, 1, filter=combined)) == today_in_fair


async def test_a_clerk_sees_only_their_own_tasks(client, actors):
    world = await build_world(actors, due_around_today(Today.in_zone()))
    assert sorted(await walk(client, actors.clerk_b, 1)) == world.others[1:3]
    for lead_id in await walk(client, actors.clerk_a, 3, orderBy="WAITING_LONGEST"):
        assert lead_id in world.tasks
    assert await walk(client, actors.manager, 3) == []
    body = await post(client, actors.partner, TASKS)
    assert error_codes(body) == ["FORBIDDEN"]


async def test_bad_input(client, actors):
    world = await build_world(actors, due_around_today(Today.in_zone()))
    lead_id = encode_id("Lead", world.tasks[0])
    for variables, words in (
        ({"filter": {"campaignId": lead_id}}, "Expected a Campaign ID"),
        ({"filter": {"campaignId": "nonsense"}}, "not a valid ID"),
        ({"filter": {"search": "x" * 201}}, "too long"),
        ({"filter": {"search": "a\x00b"}}, "NUL"),
        ({"first": 101}, "between 0 and 100"),
        ({"after": "garbage"}, "not a valid cursor"),
    ):
        body = await post(client, actors.clerk_a, TASKS, variables)
        assert error_codes(body) == ["BAD_USER_INPUT"], (variables, body)
        assert words in body["errors"][0]["message"], body

    # A cursor belongs to its order, and the lead list's orders are others.
    first = await tasks_page(client, actors.clerk_a, orderBy="NEXT_DUE", first=2)
    cursor = first["pageInfo"]["endCursor"]
    for query, variables in (
        (TASKS, {"orderBy": "NEWEST", "after": cursor}),
        (TASKS, {"orderBy": "WAITING_LONGEST", "after": cursor}),
        ("query($a: String) { leads(orderBy: NEXT_DUE, after: $a) { totalCount } }", {"a": cursor}),
    ):
        body = await post(client, actors.clerk_a, query, variables)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert "belongs to the order 'TASKS_NEXT_DUE'" in body["errors"][0]["message"]


async def test_a_task_page_is_one_statement(client, actors):
    world = await build_world(actors, due_around_today(Today.in_zone()))
    start = await tasks_page(client, actors.clerk_a, first=1)
    counts = {}
    for size in (2, 8):
        with QueryCounter() as counter:
            found = await tasks_page(
                client,
                actors.clerk_a,
                first=size,
                after=start["pageInfo"]["endCursor"],
                filter={"campaignId": encode_id("Campaign", world.campaign_ids[1])}
                if size == 2
                else None,
            )
        assert found["edges"]
        # The page over the leads; totalCount from the lead counters (migration 0021).
        over_leads = [s for s in counter.statements if 'FROM "leads"' in s]
        assert [s.startswith("SELECT COUNT") for s in over_leads] == [False], over_leads
        assert [s for s in counter.statements if "FROM lead_counts" in s], counter.statements
        counts[size] = counter.count
    assert counts[2] == counts[8], counts


async def test_the_next_page_follows_its_cursor_when_a_due_time_moves(client, actors):
    """Keyset: a lead of the first page rescheduled to the end shows up again at the end, and
    no lead of the rest is skipped or shown twice."""
    world = await build_world(actors, due_around_today(Today.in_zone()))
    expected = [task.id for task in EXPECTED["NEXT_DUE"](await stored_tasks(world.tasks))]
    first = await tasks_page(client, actors.clerk_a, first=4)
    assert [pk(edge["node"]["id"]) for edge in first["edges"]] == expected[:4]
    moved = expected[0]
    far = datetime.now(UTC) + timedelta(days=3650)
    await Lead.filter(id=moved).update(next_due_at=far)

    rest: list[int] = []
    after = first["pageInfo"]["endCursor"]
    while after:
        found = await tasks_page(client, actors.clerk_a, first=3, after=after)
        rest += [pk(edge["node"]["id"]) for edge in found["edges"]]
        after = found["pageInfo"]["endCursor"] if found["pageInfo"]["hasNextPage"] else None
    scheduled_rest = [lead for lead in expected[4:] if lead in set(world.tasks[:7])]
    unscheduled = [lead for lead in expected[4:] if lead not in scheduled_rest]
    assert rest == [*scheduled_rest, moved, *unscheduled]


async def test_a_clerks_page_reads_the_due_index_in_order(client, actors, backend):
    """The plan of a NEXT_DUE page, first and later, with full scans and sorts priced out (a
    tiny table prefers them; 20,000 open leads do not): the partial index of migration 0012
    read in the list's order, no sort on top. On PostgreSQL the plain columns (NULL sorts last
    by itself); on SQLite the index holds the NULL-last ranks the ORDER BY spells."""
    await build_world(actors, due_around_today(Today.in_zone()))
    ordering = lead_lists.TASK_ORDERINGS[lead_lists.TaskOrder.NEXT_DUE]
    tasks = lead_lists.my_tasks(actors.clerk_a.user)
    [row] = await keyset.ordered(tasks, ordering).limit(1).values("id", *ordering.value_paths)
    pages = [
        keyset.ordered(tasks, ordering),
        keyset.ordered(
            keyset.after(tasks, ordering, keyset.values_of(row, ordering), row["id"]), ordering
        ),
    ]
    # With statistics too (SQLite's misled it into a sort with a partial index; see 0012).
    await connections.get("default").execute_script("ANALYZE")
    for page_query in pages:
        sql = page_query.limit(51).values(*LEAD_COLUMNS).sql(params_inline=True)
        if backend == "postgres":
            async with in_transaction() as connection:
                await connection.execute_script(
                    "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
                    "SET LOCAL enable_sort = off"
                )
                rows = await connection.execute_query_dict(f"EXPLAIN {sql}")
            plan = "\n".join(row["QUERY PLAN"] for row in rows)
            # On this tiny table 0020's `leads_open_by_due` (all clerks' open leads in the same
            # order) may cost the same as 0012's per-clerk index and win the tie; at scale the
            # per-clerk one is read (tests/db/test_query_plans.py, 200,000 leads, bounds the
            # rows a page reads). Either way: an index in the list's order, no sort.
            assert re.search(r"Index Scan using leads_open_by_(assignee_)?due on leads", plan), plan
            assert "Sort" not in plan, plan
        else:
            rows = await connections.get("default").execute_query_dict(f"EXPLAIN QUERY PLAN {sql}")
            plan = "\n".join(str(row["detail"]) for row in rows)
            assert "USING INDEX leads_open_by_assignee_due" in plan, plan
            assert "TEMP B-TREE" not in plan, plan


async def test_the_sections_follow_the_steps_a_clerk_plans_and_completes(client, actors):
    """With the real mutations (no rows written by hand): planned steps put leads into their
    sections in NEXT_DUE order, the earliest open step counts, completing the only step leaves
    the lead with nothing scheduled."""
    manager, clerk = actors.manager, actors.clerk_a
    campaign = await campaigns.create_campaign(manager.user, "Schritte")
    made = await leads.create_leads(
        manager.user,
        campaign.id,
        [LeadIntake(last_name=name, phone=f"089 {i}") for i, name in enumerate("ABCD")],
    )
    await leads.assign_leads(manager.user, [lead.id for lead in made], clerk.user.id)
    gids = [encode_id("Lead", lead.id) for lead in made]
    today = Today.in_zone()

    async def plan(gid: str, due: datetime) -> str:
        payload = await mutate_ok(
            client,
            clerk,
            "scheduleActivity",
            {"subjectId": gid, "kind": "CALL", "dueAt": due.isoformat()},
            "activity { id }",
        )
        return payload["activity"]["id"]

    await plan(gids[0], today.ends + timedelta(days=2))  # upcoming
    await plan(gids[1], today.starts - timedelta(hours=5))  # overdue
    only_step = await plan(gids[2], today.starts + timedelta(minutes=1))  # today
    await plan(gids[0], today.starts)  # A's earliest step: today, before C's
    # D: nothing scheduled.

    assert await walk(client, clerk, 1) == [made[1].id, made[0].id, made[2].id, made[3].id]
    counts = data_of(await post(client, clerk, COUNTS))["myTaskCounts"]
    assert counts == {"overdue": 1, "today": 2, "upcoming": 0, "none": 1}

    await mutate_ok(client, clerk, "completeActivity", {"activityId": only_step, "note": "Done."})
    counts = data_of(await post(client, clerk, COUNTS))["myTaskCounts"]
    assert counts == {"overdue": 1, "today": 1, "upcoming": 0, "none": 2}
    assert set(await walk(client, clerk, 2, filter={"due": "NONE"})) == {made[2].id, made[3].id}
