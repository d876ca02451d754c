"""The two races of the domain, run for real: two managers distributing overlapping leads at
the same moment, and the same lead closed twice at once.

In one process the calls run concurrently on the event loop (PostgreSQL: each transaction on
its own pooled connection); the cross-process test runs two OS processes, each with its own
loop and ORM, against the same database, which covers SQLite across processes and two app
instances on PostgreSQL. Only invariants are asserted, never timings. Every race is repeated
so that a lost race is likely to happen at least once."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from leadflow.api.ids import encode_id
from leadflow.db.enums import LeadEventKind, LeadStatus, OpportunityEventKind, Outcome
from leadflow.db.models import Lead, LeadEvent, Opportunity, OpportunityEvent
from leadflow.errors import DomainError
from leadflow.services import campaigns, leads
from leadflow.services.leads import LeadIntake
from tests.helpers import gql

ROUNDS = 10
PROCESS_ROUND_INTERVAL = 0.15  # seconds between the rounds of the cross-process race
CLOSE_LOSER_CODES = {"CONFLICT", "INVALID_STATE"}

ASSIGN = """
mutation Assign($input: AssignLeadsInput!) {
  assignLeads(input: $input) { leads { id status } userErrors { code field message } }
}"""
CLOSE = """
mutation Close($input: CloseLeadInput!) {
  closeLead(input: $input) {
    lead { id status }
    opportunity { id }
    userErrors { code field message }
  }
}"""


async def new_leads(actors, count: int, *, assign_to=None, name: str = "Race Day") -> list[int]:
    campaign = await campaigns.create_campaign(actors.manager.user, name)
    created = await leads.create_leads(
        actors.manager.user,
        campaign.id,
        [
            LeadIntake(last_name=f"Racer {i}", email=f"{name.replace(' ', '.')}.{i}@example.com")
            for i in range(count)
        ],
    )
    ids = [lead.id for lead in created]
    if assign_to is not None:
        await leads.assign_leads(actors.manager.user, ids, assign_to.user.id)
    return ids


def outcome_of(result: Any) -> str:
    """ "ok", a DomainError code, or a description of anything unexpected."""
    if isinstance(result, DomainError):
        return result.code.value
    if isinstance(result, BaseException):
        return f"unexpected {type(result).__name__}: {result}"
    return "ok"


def outcome_of_payload(body: dict[str, Any], name: str) -> str:
    if body.get("errors"):
        return f"unexpected errors: {body['errors']}"
    errors = body["data"][name]["userErrors"]
    return errors[0]["code"] if errors else "ok"


def overlapping_claims(ids: list[int], round_no: int, actors) -> list[tuple[list[int], Any]]:
    """Two claims on three leads sharing the middle one; the order varies by round so that
    either side may lock first."""
    a, b, c = ids[3 * round_no : 3 * round_no + 3]
    first, second = [a, b], [c, b]
    if round_no % 2:
        first, second = [b, a], [b, c]
    return [(first, actors.clerk_a), (second, actors.clerk_b)]


async def check_assign_round(outcomes: list[str], claims: list[tuple[list[int], Any]]) -> None:
    winners = [i for i, outcome in enumerate(outcomes) if outcome == "ok"]
    assert len(winners) == 1, f"exactly one distribution must win: {outcomes}"
    winner = winners[0]
    assert outcomes[1 - winner] == "CONFLICT", outcomes
    won_ids, clerk = claims[winner]
    lost_ids, _ = claims[1 - winner]
    for lead_id in set(won_ids) | set(lost_ids):
        lead = await Lead.get(id=lead_id)
        events = await LeadEvent.filter(
            lead_id=lead_id, kind__in=[LeadEventKind.ASSIGNED, LeadEventKind.REASSIGNED]
        ).values_list("kind", "assignee_id")
        if lead_id in won_ids:
            assert lead.assignee_id == clerk.user.id
            assert events == [(LeadEventKind.ASSIGNED, clerk.user.id)], (lead_id, events)
        else:  # only the loser wanted it: untouched
            assert (lead.status, lead.assigned_at, events) == (LeadStatus.NEW, None, []), lead_id


async def check_close_round(outcomes: list[str], lead_id: int) -> None:
    assert outcomes.count("ok") == 1, f"exactly one close must win: {outcomes}"
    loser = next(outcome for outcome in outcomes if outcome != "ok")
    assert loser in CLOSE_LOSER_CODES, outcomes
    lead = await Lead.get(id=lead_id)
    assert (lead.status, lead.outcome) == (LeadStatus.DONE, Outcome.SUCCESSFUL)
    kinds = await LeadEvent.filter(lead_id=lead_id).values_list("kind", flat=True)
    assert kinds.count(LeadEventKind.CLOSED) == 1, kinds
    assert kinds.count(LeadEventKind.OPPORTUNITY_CREATED) == 1, kinds
    opportunity_ids = await Opportunity.filter(lead_id=lead_id).values_list("id", flat=True)
    assert len(opportunity_ids) == 1, opportunity_ids
    opportunity_events = await OpportunityEvent.filter(opportunity_id__in=opportunity_ids)
    assert [event.kind for event in opportunity_events] == [OpportunityEventKind.CREATED]


# --- In one process -------------------------------------------------------------------------


async def test_concurrent_assign_of_overlapping_leads(actors):
    ids = await new_leads(actors, 3 * ROUNDS)
    managers = [actors.manager.user, actors.manager2.user]
    for round_no in range(ROUNDS):
        claims = overlapping_claims(ids, round_no, actors)
        results = await asyncio.gather(
            *(
                leads.assign_leads(manager, lead_ids, clerk.user.id)
                for manager, (lead_ids, clerk) in zip(managers, claims, strict=True)
            ),
            return_exceptions=True,
        )
        await check_assign_round([outcome_of(result) for result in results], claims)


async def test_concurrent_assign_over_http(client, actors):
    ids = await new_leads(actors, 3 * ROUNDS)
    managers = [actors.manager, actors.manager2]
    for round_no in range(ROUNDS):
        claims = overlapping_claims(ids, round_no, actors)
        bodies = await asyncio.gather(
            *(
                gql(
                    client,
                    ASSIGN,
                    {
                        "input": {
                            "leadIds": [encode_id("Lead", lead_id) for lead_id in lead_ids],
                            "assigneeId": clerk.gid,
                        }
                    },
                    actor=manager,
                )
                for manager, (lead_ids, clerk) in zip(managers, claims, strict=True)
            )
        )
        outcomes = [outcome_of_payload(body, "assignLeads") for body in bodies]
        await check_assign_round(outcomes, claims)
        for body, outcome in zip(bodies, outcomes, strict=True):
            payload = body["data"]["assignLeads"]
            if outcome == "ok":
                assert {lead["status"] for lead in payload["leads"]} == {"ACTIVE"}
            else:
                assert payload["leads"] is None
                assert payload["userErrors"][0]["field"][0] == "leadIds"


async def test_concurrent_close_of_the_same_lead(actors):
    ids = await new_leads(actors, ROUNDS, assign_to=actors.clerk_a)
    for lead_id in ids:
        results = await asyncio.gather(
            leads.close_lead(actors.clerk_a.user, lead_id, Outcome.SUCCESSFUL),
            leads.close_lead(actors.manager.user, lead_id, Outcome.SUCCESSFUL),
            return_exceptions=True,
        )
        await check_close_round([outcome_of(result) for result in results], lead_id)


async def test_concurrent_close_over_http(client, actors):
    ids = await new_leads(actors, ROUNDS, assign_to=actors.clerk_a)
    for lead_id in ids:
        variables = {"input": {"leadId": encode_id("Lead", lead_id), "outcome": "SUCCESSFUL"}}
        bodies = await asyncio.gather(
            gql(client, CLOSE, variables, actor=actors.clerk_a),
            gql(client, CLOSE, variables, actor=actors.clerk_a),
        )
        outcomes = [outcome_of_payload(body, "closeLead") for body in bodies]
        await check_close_round(outcomes, lead_id)
        winner = bodies[outcomes.index("ok")]["data"]["closeLead"]
        assert winner["lead"]["status"] == "DONE"
        [opportunity_id] = await Opportunity.filter(lead_id=lead_id).values_list("id", flat=True)
        assert winner["opportunity"]["id"] == encode_id("Opportunity", opportunity_id)


# --- Across processes -----------------------------------------------------------------------

WORKER = r"""
import asyncio, json, sys, time

from leadflow.db.enums import Outcome
from leadflow.db.lifecycle import database
from leadflow.db.models import User
from leadflow.services import leads
from leadflow.errors import DomainError


async def main():
    url, operation, actor_id, assignee_id, interval, plan = sys.argv[1:]
    async with database(url):
        actor = await User.get(id=int(actor_id))  # connected and warm
        print("ready", flush=True)
        start = float(sys.stdin.readline())
        outcomes = []
        for index, lead_ids in enumerate(json.loads(plan)):
            due = start + index * float(interval)
            await asyncio.sleep(max(0.0, due - time.time() - 0.003))
            while time.time() < due:
                pass
            try:
                if operation == "assign":
                    await leads.assign_leads(actor, lead_ids, int(assignee_id))
                else:
                    await leads.close_lead(actor, lead_ids[0], Outcome.SUCCESSFUL)
                outcomes.append("ok")
            except DomainError as error:
                outcomes.append(error.code.value)
            except Exception as error:
                outcomes.append(f"unexpected {type(error).__name__}: {error}")
        print(json.dumps(outcomes), flush=True)


asyncio.run(main())
"""


async def run_worker_processes(
    tmp_path: Path, database_url: str, workers: list[tuple[str, int, int, list[list[int]]]]
) -> list[list[str]]:
    """Start one process per worker (operation, actor id, assignee id, lead ids per round),
    wait until all are connected, give them one common start time, collect their outcomes."""
    script = tmp_path / "race_worker.py"
    script.write_text(WORKER)
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            database_url,
            operation,
            str(actor_id),
            str(assignee_id),
            str(PROCESS_ROUND_INTERVAL),
            json.dumps(plan),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for operation, actor_id, assignee_id, plan in workers
    ]
    try:
        for process in processes:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            if line.strip() != b"ready":
                stderr = await process.stderr.read()
                pytest.fail(f"race worker did not start: {line!r} {stderr.decode()[-2000:]}")
        start = time.time() + 0.3
        for process in processes:
            process.stdin.write(f"{start}\n".encode())
            await process.stdin.drain()
        results = []
        for process in processes:
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
            assert process.returncode == 0, stderr.decode()[-2000:]
            results.append(json.loads(stdout.decode().strip().splitlines()[-1]))
        return results
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def test_races_between_two_processes(actors, database_url, tmp_path):
    """Two separate processes (two app instances) distribute overlapping leads and close the
    same leads at the same moments."""
    assign_ids = await new_leads(actors, 3 * ROUNDS)
    claims = [overlapping_claims(assign_ids, round_no, actors) for round_no in range(ROUNDS)]
    managers = [actors.manager.user, actors.manager2.user]
    assign_outcomes = await run_worker_processes(
        tmp_path,
        database_url,
        [
            ("assign", manager.id, claims[0][side][1].user.id, [c[side][0] for c in claims])
            for side, manager in enumerate(managers)
        ],
    )
    for round_no in range(ROUNDS):
        await check_assign_round([side[round_no] for side in assign_outcomes], claims[round_no])

    close_ids = await new_leads(actors, ROUNDS, assign_to=actors.clerk_a, name="Photo Finish")
    plan = [[lead_id] for lead_id in close_ids]
    close_outcomes = await run_worker_processes(
        tmp_path,
        database_url,
        [
            ("close", actors.clerk_a.user.id, 0, plan),
            ("close", actors.manager.user.id, 0, plan),
        ],
    )
    for round_no, lead_id in enumerate(close_ids):
        await check_close_round([side[round_no] for side in close_outcomes], lead_id)
