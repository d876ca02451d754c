"""A lead's status is derived once (`leadflow.db.lead_status`): the Python derivation, the
queryset condition and the counts agree on leads in every state."""

from __future__ import annotations

from leadflow.db.enums import CloseReason, LeadStatus, Outcome
from leadflow.db.lead_status import (
    lead_status,
    open_condition,
    status_condition,
    status_counts,
)
from leadflow.db.models import Lead
from leadflow.services import campaigns, leads
from leadflow.services.leads import LeadIntake


async def test_derivation_condition_and_counts_agree(actors):
    manager, clerk = actors.manager.user, actors.clerk_a.user
    campaign = await campaigns.create_campaign(manager, "Spring Fair")
    created = await leads.create_leads(
        manager,
        campaign.id,
        [LeadIntake(last_name=f"Person {i}", email=f"person{i}@example.com") for i in range(6)],
    )
    ids = [lead.id for lead in created]
    await leads.assign_leads(manager, ids[2:], clerk.id)
    await leads.close_lead(clerk, ids[4], Outcome.SUCCESSFUL)
    await leads.close_lead(clerk, ids[5], Outcome.UNSUCCESSFUL, CloseReason.UNREACHABLE)
    expected = {
        ids[0]: LeadStatus.NEW,
        ids[1]: LeadStatus.NEW,
        ids[2]: LeadStatus.ACTIVE,
        ids[3]: LeadStatus.ACTIVE,
        ids[4]: LeadStatus.DONE,
        ids[5]: LeadStatus.DONE,
    }

    assert {lead.id: lead.status for lead in await Lead.all()} == expected
    rows = await Lead.all().values("id", "closed_at", "assignee_id")
    assert {row["id"]: lead_status(row["closed_at"], row["assignee_id"]) for row in rows} == (
        expected
    )
    for status in LeadStatus:
        matching = set(await Lead.filter(status_condition(status)).values_list("id", flat=True))
        assert matching == {lead_id for lead_id, s in expected.items() if s is status}, status
    still_open = set(await Lead.filter(open_condition()).values_list("id", flat=True))
    assert still_open == {lead_id for lead_id, s in expected.items() if s is not LeadStatus.DONE}
    counts = await Lead.all().annotate(**status_counts()).first().values("new", "active", "done")
    assert counts == {"new": 2, "active": 2, "done": 2}
