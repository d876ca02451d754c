"""The webhook event types: the contract partners and other systems subscribe to. Each is an
outbox topic (services/outbox.py); the outbox's other topics are for live updates only."""

from __future__ import annotations

from leadflow.services import outbox

# In the order the web app lists them.
EVENT_TYPES: tuple[str, ...] = (
    outbox.LEAD_CREATED,
    outbox.LEAD_ASSIGNED,
    outbox.LEAD_REASSIGNED,
    outbox.LEAD_FEEDBACK_RECORDED,
    outbox.LEAD_CLOSED,
    outbox.LEAD_REOPENED,
    outbox.OPPORTUNITY_CREATED,
    outbox.OPPORTUNITY_STAGE_CHANGED,
    outbox.OPPORTUNITY_HANDED_OVER,
    outbox.CONTACT_UPDATED,
    outbox.CONTACT_ERASED,
)

# What a partner's webhook may subscribe to: the events of the leads it may read, as the API's
# field policy lets it read them (no feedback, opportunities or contacts' details).
PARTNER_EVENT_TYPES: frozenset[str] = frozenset(
    {
        outbox.LEAD_CREATED,
        outbox.LEAD_ASSIGNED,
        outbox.LEAD_REASSIGNED,
        outbox.LEAD_CLOSED,
        outbox.LEAD_REOPENED,
    }
)
