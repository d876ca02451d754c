"""The small, fixed data set the report tests compute their expectations from by hand.

Leads, assignments, feedback, reassignments and closes are made through the services, then
every timestamp is set to a fixed moment with queryset updates, so each figure is exact.
Times are offsets from T0, Monday 2024-03-04 00:00 UTC; `at(day, hour)` is T0 + day + hour.
Week 1 is days 0-6 (from 2024-03-04), week 2 days 7-13, week 3 days 14-20, week 4 days 21-27.

Campaign "Fair" (the partner is linked to it):
  F1  created d0 00h, assigned to A d0 01h, feedback d0 03h, closed SUCCESSFUL d1 00h
  F2  created d0 00h, assigned to A d0 02h, feedback d0 06h and d1 12h,
      closed UNSUCCESSFUL (NOT_INTERESTED) d2 00h
  F3  created d1 00h, assigned to B d1 04h, no feedback, closed UNSUCCESSFUL (UNREACHABLE) d4 00h
  F4  created d2 00h, assigned to A d2 08h, feedback (by A) d3 00h, reassigned to B d5 00h; ACTIVE
  F5  created d3 00h; NEW
  F6  (partner's) created d7 00h, assigned to B d7 03h, no feedback; ACTIVE
  F7  (partner's) created d8 00h, assigned to A d8 01h, feedback d8 02h,
      closed UNSUCCESSFUL (NOT_INTERESTED) d9 00h
  F8  created d3 00h, assigned to A d3 02h, feedback d4 00h and d6 00h; ACTIVE
Campaign "Webinar" (the partner was linked to it, and no longer is):
  W1  created d0 12h, assigned to B d1 00h, feedback d1 06h, closed SUCCESSFUL d21 12h
  W2  created d22 00h; NEW
  W3  (partner's) created d2 00h; NEW
Campaign "Empty Hall": no leads.

Clerks: A is "Clara Clerk", B "Bruno Clerk"; "Gerd Gone" is a deactivated clerk without leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leadflow.db.enums import Channel, CloseReason, LeadEventKind, Outcome
from leadflow.db.models import Campaign, Feedback, Lead, LeadEvent, PartnerCampaign
from leadflow.services import accounts, campaigns, leads
from leadflow.services.leads import LeadIntake
from tests.helpers import Actors

T0 = datetime(2024, 3, 4, tzinfo=UTC)
HOUR = 3600
DAY = 24 * HOUR


def at(day: int, hour: int = 0) -> datetime:
    return T0 + timedelta(days=day, hours=hour)


@dataclass
class ReportData:
    fair: Campaign
    webinar: Campaign
    empty: Campaign
    lead_ids: dict[str, int]  # "F1" ... "W3"


async def _intake(actor, campaign: Campaign, names: list[str]) -> dict[str, int]:
    created = await leads.create_leads(
        actor,
        campaign.id,
        [LeadIntake(last_name=name, email=f"{name.lower()}@report.example") for name in names],
    )
    return {name: lead.id for name, lead in zip(names, created, strict=True)}


async def _feedback(clerk, lead_id: int, when: datetime) -> None:
    entry, _ = await leads.record_feedback(clerk, lead_id, Channel.PHONE, f"Called at {when}.")
    await Feedback.filter(id=entry.id).update(created_at=when)
    # The lead keeps its first feedback's time (what record_feedback writes).
    first = await Feedback.filter(lead_id=lead_id).order_by("created_at", "id").first()
    assert first is not None
    await Lead.filter(id=lead_id).update(first_feedback_at=first.created_at)
    await _restart_wait(lead_id)


async def _restart_wait(lead_id: int) -> None:
    """The lead's wait starts at the later of its assignment and its latest feedback (what
    assign_leads, reassign_lead and record_feedback write)."""
    lead = await Lead.get(id=lead_id)
    latest = await Feedback.filter(lead_id=lead_id).order_by("-created_at", "-id").first()
    moments = [lead.assigned_at] + ([latest.created_at] if latest is not None else [])
    await Lead.filter(id=lead_id).update(waiting_since=max(moments))


async def build_report_data(actors: Actors) -> ReportData:
    manager, admin, partner = actors.manager.user, actors.admin.user, actors.partner.user
    clerk_a, clerk_b = actors.clerk_a.user, actors.clerk_b.user
    fair = await campaigns.create_campaign(manager, "Fair")
    webinar = await campaigns.create_campaign(manager, "Webinar")
    empty = await campaigns.create_campaign(manager, "Empty Hall")
    await accounts.link_partner_campaigns(admin, partner.id, [fair.id, webinar.id])

    ids: dict[str, int] = {}
    ids |= await _intake(manager, fair, ["F1", "F2", "F3", "F4", "F5"])
    ids |= await _intake(partner, fair, ["F6", "F7"])
    ids |= await _intake(manager, fair, ["F8"])
    ids |= await _intake(manager, webinar, ["W1", "W2"])
    ids |= await _intake(partner, webinar, ["W3"])
    # The partner no longer feeds the webinar: its lead there drops out of the partner's figures.
    await PartnerCampaign.filter(partner_id=partner.id, campaign_id=webinar.id).delete()

    created = {
        "F1": at(0), "F2": at(0), "F3": at(1), "F4": at(2), "F5": at(3), "F6": at(7),
        "F7": at(8), "F8": at(3), "W1": at(0, 12), "W2": at(22), "W3": at(2),
    }  # fmt: skip
    assigned = {
        "F1": (clerk_a, at(0, 1)), "F2": (clerk_a, at(0, 2)), "F3": (clerk_b, at(1, 4)),
        "F4": (clerk_a, at(2, 8)), "F6": (clerk_b, at(7, 3)), "F7": (clerk_a, at(8, 1)),
        "F8": (clerk_a, at(3, 2)), "W1": (clerk_b, at(1)),
    }  # fmt: skip
    for name, (clerk, when) in assigned.items():
        await leads.assign_leads(manager, [ids[name]], clerk.id)
        await Lead.filter(id=ids[name]).update(
            assigned_at=when, first_assigned_at=when, waiting_since=when
        )
        await LeadEvent.filter(lead_id=ids[name], kind=LeadEventKind.ASSIGNED).update(at=when)

    feedback = [
        (clerk_a, "F1", at(0, 3)), (clerk_a, "F2", at(0, 6)), (clerk_a, "F2", at(1, 12)),
        (clerk_a, "F4", at(3)), (clerk_a, "F7", at(8, 2)), (clerk_a, "F8", at(4)),
        (clerk_a, "F8", at(6)), (clerk_b, "W1", at(1, 6)),
    ]  # fmt: skip
    for clerk, name, when in feedback:
        await _feedback(clerk, ids[name], when)

    await leads.reassign_lead(manager, ids["F4"], clerk_b.id)
    await Lead.filter(id=ids["F4"]).update(assigned_at=at(5), waiting_since=at(5))
    await LeadEvent.filter(lead_id=ids["F4"], kind=LeadEventKind.REASSIGNED).update(at=at(5))

    closes = [
        (clerk_a, "F1", Outcome.SUCCESSFUL, None, at(1)),
        (clerk_a, "F2", Outcome.UNSUCCESSFUL, CloseReason.NOT_INTERESTED, at(2)),
        (clerk_b, "F3", Outcome.UNSUCCESSFUL, CloseReason.UNREACHABLE, at(4)),
        (clerk_a, "F7", Outcome.UNSUCCESSFUL, CloseReason.NOT_INTERESTED, at(9)),
        (clerk_b, "W1", Outcome.SUCCESSFUL, None, at(21, 12)),
    ]
    for clerk, name, outcome, reason, when in closes:
        await leads.close_lead(clerk, ids[name], outcome, reason)
        await Lead.filter(id=ids[name]).update(closed_at=when)
        await LeadEvent.filter(lead_id=ids[name], kind=LeadEventKind.CLOSED).update(at=when)

    for name, when in created.items():
        await Lead.filter(id=ids[name]).update(created_at=when)
        await LeadEvent.filter(lead_id=ids[name], kind=LeadEventKind.CREATED).update(at=when)
    return ReportData(fair=fair, webinar=webinar, empty=empty, lead_ids=ids)
