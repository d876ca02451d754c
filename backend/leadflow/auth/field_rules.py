"""What a partner may read, field by field: the permission rules behind the API's field policy.

The tables name GraphQL types and fields, because that is what a partner sees; they live with
the other permission rules so that the services apply the same rules to what leaves the system
otherwise (webhook payloads), without importing the API. `api/field_policy.py` walks a
partner's query document against them.
"""

from __future__ import annotations

ALL_FIELDS = "*"

# What a partner may read, type by type ("*": every field), so a partner never gets feedback
# notes, history or colleagues' details, however the query is shaped. The viewer's own user
# record is exempt (VIEWER_READABLE).
PARTNER_READABLE: dict[str, frozenset[str] | str] = {
    "Query": frozenset(
        {
            "viewer",
            "node",
            "leads",
            "lead",
            "leadCounts",
            "campaigns",
            "campaign",
            "campaignReports",
            "leadTimeSeries",
            "webhooks",
            "webhook",
            "webhookEventTypes",
        }
    ),
    "Mutation": frozenset(
        {
            "createLeads",
            "createWebhook",
            "updateWebhook",
            "deleteWebhook",
            "rotateWebhookSecret",
            "redeliverWebhookEvent",
        }
    ),
    "Lead": frozenset(
        {
            "id",
            "contact",
            "campaign",
            "status",
            "assignee",
            "assignedAt",
            "outcome",
            "closeReason",
            "closedAt",
            "createdAt",
        }
    ),
    "User": frozenset({"id", "name"}),
    "Node": frozenset({"id"}),
    # A known email reuses the stored contact: a partner must not learn what others stored
    # about that person (phone, address), nor that the person was known at all. So it reads
    # only the email, in the form that is the same for a new and a known person
    # (`auth.policy.contact_email_for`), and no contact ID (an old, low key would tell a known
    # person).
    "Contact": frozenset({"email"}),
    "Campaign": ALL_FIELDS,
    "CampaignStats": ALL_FIELDS,
    "CampaignConnection": ALL_FIELDS,
    "CampaignEdge": ALL_FIELDS,
    "LeadConnection": ALL_FIELDS,
    "LeadEdge": ALL_FIELDS,
    "LeadCounts": ALL_FIELDS,
    "PageInfo": ALL_FIELDS,
    "CreateLeadsPayload": ALL_FIELDS,
    "UserError": ALL_FIELDS,
    # Campaign figures only (over the partner's own leads); no per-clerk reports, no aging lists.
    "CampaignReport": ALL_FIELDS,
    "ReasonCount": ALL_FIELDS,
    "TimeSeriesPoint": ALL_FIELDS,
    # A partner's own webhooks (auth.policy.webhook_scope) and their delivery log: the bodies
    # carry only what the partner may read (the fan-out applies these same rules).
    "Webhook": ALL_FIELDS,
    "WebhookDelivery": ALL_FIELDS,
    "WebhookAttempt": ALL_FIELDS,
    "WebhookDeliveryConnection": ALL_FIELDS,
    "WebhookDeliveryEdge": ALL_FIELDS,
    "CreateWebhookPayload": ALL_FIELDS,
    "UpdateWebhookPayload": ALL_FIELDS,
    "DeleteWebhookPayload": ALL_FIELDS,
    "RotateWebhookSecretPayload": ALL_FIELDS,
    "RedeliverWebhookEventPayload": ALL_FIELDS,
}
VIEWER_READABLE = frozenset({"id", "name", "email", "role", "active"})

# Every viewer sees `id` and `name` of the users on the things it may see (who created, worked,
# closed or handed over a lead); the other fields of a user only when the policy lets it see
# that user's details (`auth.policy.may_see_user_details`, applied by the User type).
USER_PUBLIC_FIELDS = frozenset({"id", "name"})
USER_DETAIL_FIELDS = frozenset({"email", "role", "active", "openLeadCount", "capacity"})


def partner_may_read(type_name: str, field_name: str, *, own_user: bool = False) -> bool:
    if type_name == "User" and own_user:
        return field_name in VIEWER_READABLE
    allowed = PARTNER_READABLE.get(type_name)
    return allowed == ALL_FIELDS or (allowed is not None and field_name in allowed)
