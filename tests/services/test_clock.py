"""The injectable clock (`leadflow.clock`): a frozen moment holds inside its block only, and
every service that stamps a time takes it from the clock (so the demo can run at past times)."""

from __future__ import annotations

import ast
import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from leadflow import clock
from leadflow.auth.actors import OPERATOR
from leadflow.db.enums import Channel, LeadEventKind, Outcome, Role
from leadflow.db.models import (
    AuditEntry,
    Campaign,
    Contact,
    Feedback,
    Lead,
    LeadEvent,
    Opportunity,
    OpportunityEvent,
    User,
)
from leadflow.services import campaigns, leads, opportunities, users
from leadflow.services.leads import LeadIntake

MOMENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "backend" / "leadflow"
WALL_CLOCK_CALLS = {"now", "utcnow", "today"}


async def test_a_frozen_moment_holds_inside_its_block_only():
    assert clock.now().tzinfo is not None
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)

    async def meanwhile() -> datetime:
        await asyncio.sleep(0)
        return clock.now()

    # A task started outside the block (another request) keeps the real time.
    other_request = asyncio.create_task(meanwhile())
    later = MOMENT + timedelta(hours=1)
    with clock.frozen_at(MOMENT.astimezone(timezone(timedelta(hours=2)))) as frozen:
        assert frozen == MOMENT and frozen.tzinfo is UTC
        assert clock.now() == MOMENT
        with clock.frozen_at(later):
            assert clock.now() == later
        assert clock.now() == MOMENT
        # Tasks started inside the block run at its moment too.
        assert await asyncio.create_task(meanwhile()) == MOMENT
        assert await other_request != MOMENT
    assert clock.now() > MOMENT + timedelta(days=30)


def test_the_clock_refuses_a_moment_without_timezone():
    with pytest.raises(ValueError), clock.frozen_at(datetime(2026, 3, 2, 9, 30)):
        pass


async def test_the_services_stamp_the_clocks_time(actors):
    manager, clerk_a, clerk_b = actors.manager.user, actors.clerk_a.user, actors.clerk_b.user
    at = [MOMENT + timedelta(hours=hours) for hours in range(7)]

    with clock.frozen_at(at[0]):
        user = await users.create_user(OPERATOR, "new@test.example", "Nina New", Role.CLERK)
        campaign = await campaigns.create_campaign(manager, "Spring Fair")
        [lead] = await leads.create_leads(
            manager, campaign.id, [LeadIntake(last_name="Berg", email="berg@example.com")]
        )
    with clock.frozen_at(at[1]):
        await leads.assign_leads(manager, [lead.id], clerk_a.id)
    with clock.frozen_at(at[2]):
        feedback, _ = await leads.record_feedback(clerk_a, lead.id, Channel.PHONE, "Called")
    with clock.frozen_at(at[3]):
        await leads.reassign_lead(manager, lead.id, clerk_b.id)
    with clock.frozen_at(at[4]):
        closed = await leads.close_lead(clerk_b, lead.id, Outcome.SUCCESSFUL)
    assert closed.opportunity is not None
    with clock.frozen_at(at[5]):
        await opportunities.hand_over_opportunity(clerk_b, closed.opportunity.id, clerk_a.id)
    with clock.frozen_at(at[6]):
        other = await opportunities.create_opportunity(
            clerk_b, lead.contact_id, "Second order", lead_id=lead.id
        )

    assert (await User.get(id=user.id)).created_at == at[0]
    assert await AuditEntry.all().values_list("at", flat=True) == [at[0]]
    assert (await Campaign.get(id=campaign.id)).created_at == at[0]
    assert (await Contact.get(id=lead.contact_id)).created_at == at[0]
    assert (await Feedback.get(id=feedback.id)).created_at == at[2]
    stored = await Lead.get(id=lead.id)
    assert (stored.created_at, stored.first_assigned_at, stored.first_feedback_at) == tuple(at[0:3])
    # Closed: the lead waits for nobody any more.
    assert (stored.assigned_at, stored.waiting_since, stored.closed_at) == (at[3], None, at[4])
    events = await LeadEvent.filter(lead_id=lead.id).order_by("id").values_list("kind", "at")
    assert events == [
        (LeadEventKind.CREATED, at[0]),
        (LeadEventKind.ASSIGNED, at[1]),
        (LeadEventKind.FEEDBACK_RECORDED, at[2]),
        (LeadEventKind.REASSIGNED, at[3]),
        (LeadEventKind.CLOSED, at[4]),
        (LeadEventKind.OPPORTUNITY_CREATED, at[4]),
        (LeadEventKind.OPPORTUNITY_CREATED, at[6]),
    ]
    created = dict(await Opportunity.all().values_list("id", "created_at"))
    assert created == {closed.opportunity.id: at[4], other.id: at[6]}
    opportunity_events = await OpportunityEvent.all().order_by("id").values_list("at", flat=True)
    assert opportunity_events == [at[4], at[5], at[6]]


def wall_clock_readers() -> list[str]:
    """`datetime.now()`, `datetime.utcnow()`, `date.today()` (and `datetime.datetime.now()`)
    anywhere in the package but the clock itself; migrations are frozen history."""
    found = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        relative = path.relative_to(PACKAGE_ROOT).as_posix()
        if relative == "clock.py" or relative.startswith("db/migrations/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            owner_name = owner.attr if isinstance(owner, ast.Attribute) else ""
            owner_name = owner.id if isinstance(owner, ast.Name) else owner_name
            if node.func.attr in WALL_CLOCK_CALLS and owner_name in {"datetime", "date"}:
                found.append(f"{relative}:{node.lineno}")
    return found


def test_only_the_clock_reads_the_wall_clock():
    # Otherwise a service run at another moment (the demo, a test) would stamp today's time.
    assert wall_clock_readers() == []
