"""THE authorization matrix: every root field of the schema, run as every kind of actor.

`MATRIX` says, for each Query and Mutation field, which actor kinds are allowed and which are
refused. A field of the schema without a row fails `test_every_root_field_has_a_rule`, so a new
field cannot ship unguarded. `test_authorization_matrix` runs one minimal, valid operation per
field for one actor kind against a prepared database (one per backend and actor kind):
refused means a top-level UNAUTHENTICATED (anonymous) or FORBIDDEN error, no data, no change in
the database and, for FORBIDDEN, an audit entry; allowed means no top-level error at all and, for
mutations, no user errors. `NODE_MATRIX` does the same for `node(id:)` with an object of every
kind, users of every role and state included. `USER_EDGES` checks, on every field that returns a
user, which users' details (email, role, state, load) each actor kind reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from graphql import GraphQLObjectType, build_schema, get_named_type, is_non_null_type
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow import clock
from leadflow.api import field_policy
from leadflow.api.ids import decode_id, encode_id
from leadflow.api.schema import schema
from leadflow.app import create_app
from leadflow.db.enums import ImportStatus, NotificationKind, Role, WebhookDeliveryStatus
from leadflow.db.models import (
    Activity,
    ApiToken,
    AuditEntry,
    Campaign,
    Contact,
    ContactChange,
    Feedback,
    Lead,
    LeadEvent,
    LeadImport,
    LoginSession,
    Notification,
    Opportunity,
    OpportunityEvent,
    PartnerCampaign,
    User,
    Webhook,
    WebhookDelivery,
)
from leadflow.services.webhooks import config as webhook_config
from leadflow.settings import Settings
from tests.helpers import (
    Actor,
    Actors,
    data_of,
    error_codes,
    gql,
    make_actor,
    mutate_ok,
    mutation_text,
)

ALLOWED, REFUSED = "allowed", "refused"
ACTOR_KINDS = (
    "anonymous",
    "clerk_a",
    "clerk_b",
    "manager",
    "admin",
    "partner",
    "other_partner",
    "read_only_token",
)
SIGNED_IN = ACTOR_KINDS[1:]
# Everyone who works with leads; the read-only token is the manager's.
WORKERS = ("clerk_a", "clerk_b", "manager", "admin", "read_only_token")
MANAGERS = ("manager", "admin")
# Clerk A's objects: clerk A, managers and admins (and for reading, the manager's read-only token).
CLERK_A_WRITES = ("clerk_a", "manager", "admin")
CLERK_A_READS = (*CLERK_A_WRITES, "read_only_token")
# Webhooks: managers and admins all, a partner its own; the prepared one is the partner's.
WEBHOOK_MANAGERS = (*MANAGERS, "partner", "other_partner")
PARTNERS_WEBHOOK_WRITES = (*MANAGERS, "partner")
PARTNERS_WEBHOOK_READS = (*PARTNERS_WEBHOOK_WRITES, "read_only_token")


def days_ahead(days: int) -> str:
    """A due time that the activity rule accepts whenever the test runs (it allows a year back
    and ten years ahead of now), with its offset."""
    return (clock.now() + timedelta(days=days)).isoformat()


def allowed_for(*kinds: str) -> dict[str, str]:
    unknown = set(kinds) - set(ACTOR_KINDS)
    assert not unknown, unknown
    return {kind: ALLOWED if kind in kinds else REFUSED for kind in ACTOR_KINDS}


# The arguments are clerk A's objects (see `Prepared`); the lead was submitted by the partner.
MATRIX: dict[str, dict[str, str]] = {
    # Query
    "viewer": allowed_for(*SIGNED_IN),
    "node": allowed_for(*CLERK_A_READS, "partner"),
    "leads": allowed_for(*SIGNED_IN),
    "lead": allowed_for(*CLERK_A_READS, "partner"),
    "leadCounts": allowed_for(*SIGNED_IN),
    "myTasks": allowed_for(*WORKERS),
    "myTaskCounts": allowed_for(*WORKERS),
    # Everyone's own notifications (the read-only token reads, never marks); partners get none.
    "notifications": allowed_for(*WORKERS),
    "unreadNotificationCount": allowed_for(*WORKERS),
    "campaigns": allowed_for(*SIGNED_IN),
    "opportunities": allowed_for(*WORKERS),
    "pipeline": allowed_for(*WORKERS),
    "users": allowed_for(*WORKERS),
    "campaign": allowed_for(*WORKERS, "partner"),
    "contact": allowed_for(*CLERK_A_READS),
    "opportunity": allowed_for(*CLERK_A_READS),
    "auditLog": allowed_for("admin"),
    # A person's data export (Art. 15): admins; managers only when the instance allows it
    # (tests/api/test_contact_export.py). The read-only token is a manager's.
    "contactDataExport": allowed_for("admin"),
    "apiTokens": allowed_for("admin"),
    "leadImport": allowed_for(*MANAGERS, "read_only_token"),
    # Reports: campaign figures and series for everyone signed in (each over the leads they may
    # read), per-clerk figures and aging lists for the people who work with leads.
    "campaignReports": allowed_for(*SIGNED_IN),
    "clerkReports": allowed_for(*WORKERS),
    "agingLeads": allowed_for(*WORKERS),
    "leadTimeSeries": allowed_for(*SIGNED_IN),
    "webhooks": allowed_for(*WEBHOOK_MANAGERS, "read_only_token"),
    "webhook": allowed_for(*PARTNERS_WEBHOOK_READS),
    "webhookEventTypes": allowed_for(*WEBHOOK_MANAGERS, "read_only_token"),
    # Mutation
    "createCampaign": allowed_for(*MANAGERS),
    "updateCampaign": allowed_for(*MANAGERS),
    "createLeads": allowed_for(*MANAGERS, "partner"),
    "assignLeads": allowed_for(*MANAGERS),
    "reassignLead": allowed_for(*MANAGERS),
    "distributeLeads": allowed_for(*MANAGERS),
    "setCampaignDistribution": allowed_for(*MANAGERS),
    # Managers for any clerk; clerk A sets their own absences (the operation gives only those).
    "updateClerkSettings": allowed_for(*CLERK_A_WRITES),
    "recordFeedback": allowed_for(*CLERK_A_WRITES),
    "closeLead": allowed_for(*CLERK_A_WRITES),
    "reopenLead": allowed_for(*MANAGERS),
    "createOpportunity": allowed_for(*CLERK_A_WRITES),
    "handOverOpportunity": allowed_for(*CLERK_A_WRITES),
    "moveOpportunity": allowed_for(*CLERK_A_WRITES),
    "updateOpportunity": allowed_for(*CLERK_A_WRITES),
    "updateContact": allowed_for(*CLERK_A_WRITES),
    # Recording an objection; lifting it (managers only) is tests/api/test_contact_opt_out.py's.
    "setContactOptOut": allowed_for(*CLERK_A_WRITES),
    # Erasure (DSGVO Art. 17) is for good: admins only (tests/api/test_contact_erasure.py).
    "eraseContact": allowed_for("admin"),
    "scheduleActivity": allowed_for(*CLERK_A_WRITES),
    "completeActivity": allowed_for(*CLERK_A_WRITES),
    "rescheduleActivity": allowed_for(*CLERK_A_WRITES),
    "markNotificationsRead": allowed_for("clerk_a", "clerk_b", "manager", "admin"),
    # The viewer's own setting; partners get no notifications (their field policy refuses it).
    "updateNotificationSettings": allowed_for("clerk_a", "clerk_b", "manager", "admin"),
    # Storing an erased person again rests on their new consent (tests/api/test_suppression.py).
    "liftSuppression": allowed_for("admin"),
    "createUser": allowed_for("admin"),
    "deactivateUser": allowed_for("admin"),
    "createApiToken": allowed_for("admin"),
    "revokeApiToken": allowed_for("admin"),
    "linkPartnerCampaigns": allowed_for("admin"),
    "createWebhook": allowed_for(*WEBHOOK_MANAGERS),
    "updateWebhook": allowed_for(*PARTNERS_WEBHOOK_WRITES),
    "rotateWebhookSecret": allowed_for(*PARTNERS_WEBHOOK_WRITES),
    "redeliverWebhookEvent": allowed_for(*PARTNERS_WEBHOOK_WRITES),
    # Last: it deletes the webhook the other operations use.
    "deleteWebhook": allowed_for(*PARTNERS_WEBHOOK_WRITES),
}


def root_fields() -> dict[str, set[str]]:
    graphql_schema = build_schema(schema.as_str())
    return {
        "Query": set(graphql_schema.query_type.fields),
        "Mutation": set(graphql_schema.mutation_type.fields),
    }


# --- the prepared database -----------------------------------------------------------------------


@dataclass
class Prepared:
    """Global IDs of what the operations work on; each mutation has objects of its own, so that
    every operation gets valid input whatever ran before it."""

    campaign: str  # linked to the partner (the other partner has another one)
    lead: str  # submitted by the partner, assigned to clerk A (reads, feedback)
    contact: str  # that lead's contact
    opportunity: str  # clerk A's (reads)
    new_lead: str  # nobody's yet (assignLeads)
    reassignable_lead: str  # clerk A's (reassignLead)
    closable_lead: str  # clerk A's (closeLead)
    reopenable_lead: str  # clerk A's, closed with an opportunity (reopenLead)
    erasable_contact: str  # a contact of its own, with an open lead of clerk A's (eraseContact)
    handover_opportunity: str  # clerk A's (handOverOpportunity)
    victim: str  # a clerk to deactivate
    token: str  # clerk B's token, to revoke
    clerk_a: str
    clerk_b: str
    partner: str
    lead_import: str  # an import into the campaign
    activity: str  # open, on the partner's lead, planned by clerk A (completeActivity, reads)
    movable_activity: str  # the same (rescheduleActivity)
    notification: str  # clerk A's own
    webhook: str  # the partner's
    webhook_delivery: str  # a finished delivery of that webhook


async def prepare(client, actors: Actors, other_partner: Actor) -> Prepared:
    manager, admin, clerk_a = actors.manager, actors.admin, actors.clerk_a
    campaigns = []
    for name in ("Fair", "Webinar"):
        payload = await mutate_ok(
            client, manager, "createCampaign", {"name": name}, "campaign { id }"
        )
        campaigns.append(payload["campaign"]["id"])
    fair, webinar = campaigns
    for partner, campaign in ((actors.partner, fair), (other_partner, webinar)):
        await mutate_ok(
            client,
            admin,
            "linkPartnerCampaigns",
            {"userId": partner.gid, "campaignIds": [campaign]},
            "campaigns { id }",
        )
    payload = await mutate_ok(
        client,
        actors.partner,
        "createLeads",
        {"campaignId": fair, "leads": [{"lastName": "Partnerlead", "email": "p@lead.example"}]},
        "leads { id }",
    )
    partner_lead = payload["leads"][0]
    # Partners read no contact IDs; the lead's contact is looked up as the manager.
    body = await gql(
        client, "query($id: ID!) { lead(id: $id) { contact { id } } }", partner_lead, actor=manager
    )
    partner_lead["contact"] = data_of(body)["lead"]["contact"]
    payload = await mutate_ok(
        client,
        manager,
        "createLeads",
        {
            "campaignId": fair,
            "leads": [
                {"lastName": name, "email": f"{name}@lead.example"}
                for name in ("New", "Reassign", "Close", "Opportunity", "Handover", "Erase")
            ],
        },
        "leads { id contact { id } }",
    )
    new, reassignable, closable, with_opportunity, handover, erasable = payload["leads"]
    lead_ids = [
        lead["id"]
        for lead in (partner_lead, reassignable, closable, with_opportunity, handover, erasable)
    ]
    await mutate_ok(
        client,
        manager,
        "assignLeads",
        {"leadIds": lead_ids, "assigneeId": clerk_a.gid},
        "leads { id }",
    )
    opportunities = []
    for lead in (with_opportunity, handover):
        payload = await mutate_ok(
            client,
            clerk_a,
            "closeLead",
            {"leadId": lead["id"], "outcome": "SUCCESSFUL"},
            "opportunity { id }",
        )
        opportunities.append(payload["opportunity"]["id"])
    victim = await make_actor("victim@test.example", "Vic Victim", Role.CLERK)
    lead_import = await LeadImport.create(
        campaign_id=decode_id(fair, "Campaign", ["campaign"]),
        file_name="fair.csv",
        file_digest="0" * 64,
        status=ImportStatus.COMPLETED,
    )
    token = await ApiToken.get(user_id=actors.clerk_b.user.id)
    activities = []
    for kind in ("CALL", "EMAIL"):
        payload = await mutate_ok(
            client,
            clerk_a,
            "scheduleActivity",
            {"subjectId": partner_lead["id"], "kind": kind, "dueAt": days_ahead(7)},
            "activity { id }",
        )
        activities.append(payload["activity"]["id"])
    return Prepared(
        campaign=fair,
        lead=partner_lead["id"],
        contact=partner_lead["contact"]["id"],
        opportunity=opportunities[0],
        new_lead=new["id"],
        reassignable_lead=reassignable["id"],
        closable_lead=closable["id"],
        reopenable_lead=with_opportunity["id"],
        erasable_contact=erasable["contact"]["id"],
        handover_opportunity=opportunities[1],
        victim=victim.gid,
        token=encode_id("ApiToken", token.id),
        clerk_a=clerk_a.gid,
        clerk_b=actors.clerk_b.gid,
        partner=actors.partner.gid,
        lead_import=encode_id("LeadImport", lead_import.id),
        activity=activities[0],
        movable_activity=activities[1],
        notification=await clerk_a_notification(clerk_a),
        **await partners_webhook(actors.partner),
    )


async def clerk_a_notification(clerk_a: Actor) -> str:
    notification = await Notification.create(
        user_id=clerk_a.user.id,
        kind=NotificationKind.LEAD_ASSIGNED,
        message="Matrix",
        created_at=clock.now(),
    )
    return encode_id("Notification", notification.id)


async def partners_webhook(partner: Actor) -> dict[str, str]:
    webhook = await Webhook.create(
        owner_id=partner.user.id, url=WEBHOOK_URL, events=["lead.assigned"], secret="whsec_AAAA"
    )
    delivery = await WebhookDelivery.create(
        webhook_id=webhook.id,
        event_id=1,
        message_id="msg_matrix",
        event_type="lead.assigned",
        body="{}",
        status=WebhookDeliveryStatus.SUCCEEDED,
        finished_at=clock.now(),
    )
    return {
        "webhook": encode_id("Webhook", webhook.id),
        "webhook_delivery": encode_id("WebhookDelivery", delivery.id),
    }


# A receiver on loopback, which the webhook guard allows here (see `app`).
WEBHOOK_URL = "http://127.0.0.1:9/hook"


@pytest_asyncio.fixture
async def app(database_url: str) -> AsyncIterator[Starlette]:
    """The app as in conftest, with webhooks to loopback allowed and no webhook delivery of its
    own: a delivery worker changing the log meanwhile would look like a refused operation
    changing the database."""
    EXECUTOR_CACHE.clear()
    settings = Settings(
        database_url=database_url, webhook_allow_private=True, webhook_poll_seconds=0
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application
    webhook_config.configure(Settings())


# --- one minimal valid operation per root field --------------------------------------------------

Operation = tuple[str, dict[str, Any]]


def query(text: str, **variables: Any) -> Operation:
    return text, variables


def mutation(name: str, input: dict[str, Any]) -> Operation:
    return mutation_text(name), {"input": input}


OPERATIONS: dict[str, Callable[[Prepared], Operation]] = {
    "viewer": lambda p: query("{ viewer { id } }"),
    "node": lambda p: query("query($id: ID!) { node(id: $id) { id } }", id=p.lead),
    "leads": lambda p: query("{ leads { totalCount } }"),
    "lead": lambda p: query("query($id: ID!) { lead(id: $id) { id status } }", id=p.lead),
    "leadCounts": lambda p: query("{ leadCounts { new active done } }"),
    "myTasks": lambda p: query("{ myTasks { totalCount } }"),
    "myTaskCounts": lambda p: query("{ myTaskCounts { overdue today upcoming none } }"),
    "notifications": lambda p: query("{ notifications { totalCount } }"),
    "unreadNotificationCount": lambda p: query("{ unreadNotificationCount }"),
    "campaigns": lambda p: query("{ campaigns { totalCount } }"),
    "opportunities": lambda p: query("{ opportunities { totalCount } }"),
    "pipeline": lambda p: query("{ pipeline { stage count totalValue } }"),
    "users": lambda p: query("{ users { id } }"),
    "campaign": lambda p: query("query($id: ID!) { campaign(id: $id) { id } }", id=p.campaign),
    "contact": lambda p: query("query($id: ID!) { contact(id: $id) { id } }", id=p.contact),
    "opportunity": lambda p: query(
        "query($id: ID!) { opportunity(id: $id) { id } }", id=p.opportunity
    ),
    "auditLog": lambda p: query("{ auditLog { totalCount } }"),
    "contactDataExport": lambda p: query(
        "query($id: ID!) { contactDataExport(contactId: $id) }", id=p.contact
    ),
    "leadImport": lambda p: query(
        "query($id: ID!) { leadImport(id: $id) { id status } }", id=p.lead_import
    ),
    "apiTokens": lambda p: query("query($id: ID!) { apiTokens(userId: $id) { id } }", id=p.clerk_a),
    "campaignReports": lambda p: query(
        "{ campaignReports { campaign { id } total conversionRate medianSecondsToClose } }"
    ),
    "clerkReports": lambda p: query("{ clerkReports { clerk { id } openLeads successRate } }"),
    "agingLeads": lambda p: query("{ agingLeads(kind: NEW, olderThanDays: 1) { totalCount } }"),
    "leadTimeSeries": lambda p: query(
        "query($from: DateTime!, $to: DateTime!) { leadTimeSeries(interval: DAY, "
        "from: $from, to: $to) { start created successful unsuccessful } }",
        **{"from": "2024-01-01T00:00:00Z", "to": "2024-01-08T00:00:00Z"},
    ),
    "createCampaign": lambda p: mutation("createCampaign", {"name": "Matrix"}),
    "updateCampaign": lambda p: mutation(
        "updateCampaign", {"campaignId": p.campaign, "waitingLimitHours": 24}
    ),
    "createLeads": lambda p: mutation(
        "createLeads",
        {"campaignId": p.campaign, "leads": [{"lastName": "Matrix", "phone": "+49 1"}]},
    ),
    "assignLeads": lambda p: mutation(
        "assignLeads", {"leadIds": [p.new_lead], "assigneeId": p.clerk_a}
    ),
    "reassignLead": lambda p: mutation(
        "reassignLead", {"leadId": p.reassignable_lead, "assigneeId": p.clerk_b}
    ),
    "distributeLeads": lambda p: mutation(
        "distributeLeads", {"leadIds": [p.new_lead], "clerkIds": [p.clerk_a], "preview": True}
    ),
    "setCampaignDistribution": lambda p: mutation(
        "setCampaignDistribution",
        {"campaignId": p.campaign, "clerkIds": [p.clerk_a], "automatic": False},
    ),
    "updateClerkSettings": lambda p: mutation(
        "updateClerkSettings", {"userId": p.clerk_a, "absences": []}
    ),
    "recordFeedback": lambda p: mutation(
        "recordFeedback", {"leadId": p.lead, "channel": "PHONE", "note": "Matrix"}
    ),
    "closeLead": lambda p: mutation(
        "closeLead", {"leadId": p.closable_lead, "outcome": "UNSUCCESSFUL", "reason": "OTHER"}
    ),
    "reopenLead": lambda p: mutation("reopenLead", {"leadId": p.reopenable_lead}),
    "createOpportunity": lambda p: mutation(
        "createOpportunity", {"contactId": p.contact, "title": "Matrix", "ownerId": p.clerk_a}
    ),
    "handOverOpportunity": lambda p: mutation(
        "handOverOpportunity", {"opportunityId": p.handover_opportunity, "ownerId": p.clerk_b}
    ),
    "moveOpportunity": lambda p: mutation(
        "moveOpportunity", {"opportunityId": p.opportunity, "stage": "QUALIFIED"}
    ),
    "updateOpportunity": lambda p: mutation(
        "updateOpportunity", {"opportunityId": p.opportunity, "expectedValue": "10"}
    ),
    "updateContact": lambda p: mutation(
        "updateContact", {"contactId": p.contact, "phone": "+49 30 1234"}
    ),
    "setContactOptOut": lambda p: mutation(
        "setContactOptOut", {"contactId": p.contact, "optedOut": True}
    ),
    "eraseContact": lambda p: mutation(
        "eraseContact", {"contactId": p.erasable_contact, "reason": "Matrix"}
    ),
    "scheduleActivity": lambda p: mutation(
        "scheduleActivity",
        {"subjectId": p.lead, "kind": "MEETING", "dueAt": days_ahead(8)},
    ),
    "completeActivity": lambda p: mutation(
        "completeActivity",
        {
            "activityId": p.activity,
            "note": "Matrix",
            "next": {"kind": "TASK", "dueAt": days_ahead(9)},
        },
    ),
    "rescheduleActivity": lambda p: mutation(
        "rescheduleActivity", {"activityId": p.movable_activity, "dueAt": days_ahead(32)}
    ),
    "markNotificationsRead": lambda p: mutation("markNotificationsRead", {"all": True}),
    "updateNotificationSettings": lambda p: mutation(
        "updateNotificationSettings", {"emailNotifications": True}
    ),
    "createUser": lambda p: mutation(
        "createUser", {"email": "new.clerk@test.example", "name": "New Clerk", "role": "CLERK"}
    ),
    "deactivateUser": lambda p: mutation("deactivateUser", {"userId": p.victim}),
    "createApiToken": lambda p: mutation(
        "createApiToken", {"userId": p.clerk_a, "name": "Matrix", "readOnly": True}
    ),
    "revokeApiToken": lambda p: mutation("revokeApiToken", {"tokenId": p.token}),
    "linkPartnerCampaigns": lambda p: mutation(
        "linkPartnerCampaigns", {"userId": p.partner, "campaignIds": [p.campaign]}
    ),
    "webhooks": lambda p: query("{ webhooks { id } }"),
    "webhook": lambda p: query("query($id: ID!) { webhook(id: $id) { id } }", id=p.webhook),
    "webhookEventTypes": lambda p: query("{ webhookEventTypes }"),
    "liftSuppression": lambda p: mutation(
        "liftSuppression", {"email": "erased@example.com", "reason": "Matrix"}
    ),
    "createWebhook": lambda p: mutation(
        "createWebhook", {"url": WEBHOOK_URL, "events": ["lead.assigned"]}
    ),
    "updateWebhook": lambda p: mutation(
        "updateWebhook", {"webhookId": p.webhook, "description": "Matrix"}
    ),
    "rotateWebhookSecret": lambda p: mutation("rotateWebhookSecret", {"webhookId": p.webhook}),
    "redeliverWebhookEvent": lambda p: mutation(
        "redeliverWebhookEvent", {"deliveryId": p.webhook_delivery}
    ),
    "deleteWebhook": lambda p: mutation("deleteWebhook", {"webhookId": p.webhook}),
}

# Everything a refused operation could have changed (the audit log grows by design).
STATE_TABLES = (
    User,
    ApiToken,
    LoginSession,
    PartnerCampaign,
    Campaign,
    Contact,
    ContactChange,
    Lead,
    LeadEvent,
    Feedback,
    Opportunity,
    OpportunityEvent,
    Activity,
    Webhook,
    WebhookDelivery,
)


async def database_state() -> dict[str, list[tuple]]:
    state = {}
    for model in STATE_TABLES:
        rows = await model.all().order_by("id").values_list()
        state[model.__name__] = [tuple(str(value) for value in row) for row in rows]
    return state


# --- the tests -----------------------------------------------------------------------------------


def test_every_root_field_has_a_rule():
    fields = root_fields()
    in_schema = fields["Query"] | fields["Mutation"]
    assert not fields["Query"] & fields["Mutation"]
    missing = sorted(in_schema - set(MATRIX))
    assert not missing, f"root fields without an authorization rule in MATRIX: {missing}"
    stale = sorted(set(MATRIX) - in_schema)
    assert not stale, f"MATRIX rules for fields the schema no longer has: {stale}"
    for field, rule in MATRIX.items():
        assert tuple(rule) == ACTOR_KINDS, field
        assert set(rule.values()) <= {ALLOWED, REFUSED}, field
    assert set(OPERATIONS) == set(MATRIX)
    # Sanity: the table does refuse something to everyone but admins, and allows admins all.
    assert all(rule["admin"] == ALLOWED for rule in MATRIX.values())
    assert all(rule["anonymous"] == REFUSED for rule in MATRIX.values())
    assert all(
        rule["read_only_token"] == REFUSED
        for name, rule in MATRIX.items()
        if name in fields["Mutation"]
    )


def actor_of(kind: str, actors: Actors, other_partner: Actor) -> Actor | None:
    return {
        "anonymous": None,
        "clerk_a": actors.clerk_a,
        "clerk_b": actors.clerk_b,
        "manager": actors.manager,
        "admin": actors.admin,
        "partner": actors.partner,
        "other_partner": other_partner,
        "read_only_token": actors.read_only_manager,
    }[kind]


async def check_refused(client, actor: Actor | None, field: str, operation: Operation) -> str:
    """'' when the operation is refused as it must be, else what went wrong."""
    expected = "FORBIDDEN" if actor is not None else "UNAUTHENTICATED"
    before = await database_state()
    denials = await AuditEntry.filter(action="access.denied").values_list("actor_id", flat=True)
    body = await gql(client, operation[0], operation[1], actor=actor)
    if error_codes(body) != [expected]:
        return f"expected a top-level {expected}, got {body}"
    if (body.get("data") or {}).get(field) is not None:
        return f"refused, but data came back: {body}"
    if await database_state() != before:
        return "refused, but the database changed"
    if expected == "FORBIDDEN":
        after = await AuditEntry.filter(action="access.denied").values_list("actor_id", flat=True)
        if sorted(after) != sorted([*denials, actor.user.id]):
            return "the refusal was not written to the audit log (once, with the actor)"
    return ""


async def check_allowed(client, actor: Actor | None, field: str, operation: Operation) -> str:
    body = await gql(client, operation[0], operation[1], actor=actor)
    if body.get("errors"):
        return f"expected no top-level error, got {body['errors']}"
    result = body["data"][field]
    if result is None:
        return f"allowed, but no result: {body}"
    if isinstance(result, dict) and result.get("userErrors"):
        return f"allowed, but the (valid) input got user errors: {result['userErrors']}"
    return ""


@pytest.mark.parametrize("kind", ACTOR_KINDS)
async def test_authorization_matrix(client, actors: Actors, kind: str):
    other_partner = await make_actor("other.partner@test.example", "Olga Other", Role.PARTNER)
    prepared = await prepare(client, actors, other_partner)
    actor = actor_of(kind, actors, other_partner)
    problems = []
    # Queries first, then mutations, each in the schema's order: reads see the prepared data.
    fields = root_fields()
    ordered = [name for name in MATRIX if name in fields["Query"]] + [
        name for name in MATRIX if name in fields["Mutation"]
    ]
    for field in ordered:
        operation = OPERATIONS[field](prepared)
        expected = MATRIX[field][kind]
        check = check_allowed if expected == ALLOWED else check_refused
        problem = await check(client, actor, field, operation)
        if problem:
            problems.append(f"{field} as {kind} should be {expected}: {problem}")
    assert not problems, "\n".join(problems)


# --- node(id:) for every kind of object ----------------------------------------------------------

# Which object `node(id:)` is asked for, and who may get it. Users: clerks see only the active
# clerks (themselves included), managers and admins everyone; partners no user at all (they have
# `viewer`).
NODE_MATRIX: dict[str, dict[str, str]] = {
    "lead": MATRIX["lead"],
    "contact": MATRIX["contact"],
    "opportunity": MATRIX["opportunity"],
    "campaign": MATRIX["campaign"],
    "active clerk": allowed_for(*WORKERS),
    "deactivated clerk": allowed_for(*MANAGERS, "read_only_token"),
    "manager": allowed_for(*MANAGERS, "read_only_token"),
    "admin": allowed_for(*MANAGERS, "read_only_token"),
    "partner": allowed_for(*MANAGERS, "read_only_token"),
    "api token": allowed_for("admin"),
    "lead import": MATRIX["leadImport"],
    # Whoever sees its lead, but partners see no activities (the clerks' work, like history).
    "activity": allowed_for(*CLERK_A_READS),
    # Only its recipient; managers do not read their clerks' notifications.
    "notification": allowed_for("clerk_a"),
    "webhook": MATRIX["webhook"],
    "webhook delivery": MATRIX["webhook"],
}
NODE_TYPES = {
    "lead": "Lead",
    "contact": "Contact",
    "opportunity": "Opportunity",
    "campaign": "Campaign",
    "active clerk": "User",
    "deactivated clerk": "User",
    "manager": "User",
    "admin": "User",
    "partner": "User",
    "api token": "ApiToken",
    "lead import": "LeadImport",
    "activity": "Activity",
    "notification": "Notification",
    "webhook": "Webhook",
    "webhook delivery": "WebhookDelivery",
}
NODE_QUERY = "query($id: ID!) { node(id: $id) { id __typename } }"


def node_targets(prepared: Prepared, actors: Actors) -> dict[str, str]:
    return {
        "lead": prepared.lead,
        "contact": prepared.contact,
        "opportunity": prepared.opportunity,
        "campaign": prepared.campaign,
        "active clerk": prepared.clerk_b,
        "deactivated clerk": actors.inactive_clerk.gid,
        "manager": actors.manager2.gid,
        "admin": actors.admin.gid,
        "partner": prepared.partner,
        "api token": prepared.token,
        "lead import": prepared.lead_import,
        "activity": prepared.activity,
        "notification": prepared.notification,
        "webhook": prepared.webhook,
        "webhook delivery": prepared.webhook_delivery,
    }


def test_every_node_type_has_a_rule():
    graphql_schema = build_schema(schema.as_str())
    node_types = {
        name
        for name, graphql_type in graphql_schema.type_map.items()
        if "Node" in [interface.name for interface in getattr(graphql_type, "interfaces", [])]
    }
    assert set(NODE_TYPES.values()) == node_types
    assert set(NODE_TYPES) == set(NODE_MATRIX)
    for kind, rule in NODE_MATRIX.items():
        assert tuple(rule) == ACTOR_KINDS, kind
    # Every role's users are covered, the deactivated state too.
    assert {"active clerk", "deactivated clerk", "manager", "admin", "partner"} <= set(NODE_MATRIX)


@pytest.mark.parametrize("kind", ACTOR_KINDS)
async def test_node_matrix(client, actors: Actors, kind: str):
    other_partner = await make_actor("other.partner@test.example", "Olga Other", Role.PARTNER)
    prepared = await prepare(client, actors, other_partner)
    actor = actor_of(kind, actors, other_partner)
    targets = node_targets(prepared, actors)
    problems = []
    for target, rule in NODE_MATRIX.items():
        operation = query(NODE_QUERY, id=targets[target])
        if rule[kind] == REFUSED:
            problem = await check_refused(client, actor, "node", operation)
        else:
            body = await gql(client, operation[0], operation[1], actor=actor)
            expected = {"id": targets[target], "__typename": NODE_TYPES[target]}
            problem = "" if body == {"data": {"node": expected}} else f"got {body}"
        if problem:
            problems.append(f"node of {target} as {kind} should be {rule[kind]}: {problem}")
    assert not problems, "\n".join(problems)


# --- which users' details, on every edge that returns a user -------------------------------------

# Every viewer reads `id` and `name` of the users on what it may see; the details only of users
# `sees_details` allows (auth/policy.py: may_see_user_details), null otherwise. The rule sits on
# the User type, so every edge follows it; `USER_EDGES` lists every field that returns a user,
# and a new one fails `test_every_user_edge_has_a_rule` until it is listed (and so checked).
USER_PUBLIC = {"id", "name"}
USER_DETAILS = {"email", "role", "active", "openLeadCount", "capacity"}
# Absences are personal: managers, admins and the user themself (an empty list for others);
# tests/api/test_distribution.py checks them. The e-mail setting: the user themself and admins
# (null for others); tests/services/test_emails_opt_out.py checks it.
USER_PERSONAL = {"absences", "emailNotifications"}
U = "{ id name email role active openLeadCount capacity }"


def sees_details(kind: str, viewer: User, user: User) -> bool:
    """Managers and admins everyone's, everybody their own, clerks those of active clerks."""
    if user.id == viewer.id or kind in ("manager", "admin", "read_only_token"):
        return True
    return kind in ("clerk_a", "clerk_b") and user.role == Role.CLERK and user.active


@dataclass
class Touched:
    """Clerk A's things after others worked on them (see `touch_by_others`)."""

    lead: str  # submitted by the partner, assigned by the manager, feedback by the manager
    reassigned: str  # handed by the manager to the victim and back; the victim is deactivated
    closed: str  # closed by the manager
    handed_over: str  # an opportunity from clerk A's lead, handed over to clerk B by the manager
    victims: str  # an opportunity from clerk A's lead, handed over to the victim
    victim: str  # a clerk, deactivated
    lead_import: str  # created by the manager
    to_deactivate: str  # a clerk for deactivateUser


async def touch_by_others(client, actors: Actors, p: Prepared) -> Touched:
    manager = actors.manager
    await mutate_ok(
        client,
        manager,
        "scheduleActivity",
        {
            "subjectId": p.lead,
            "kind": "MEETING",
            "dueAt": days_ahead(10),
            "assigneeId": encode_id("User", manager.user.id),
        },
        "activity { id }",
    )
    await mutate_ok(
        client,
        manager,
        "recordFeedback",
        {"leadId": p.lead, "channel": "PHONE", "note": "By the manager"},
        "feedback { id }",
    )
    await mutate_ok(
        client,
        actors.clerk_a,
        "recordFeedback",
        {"leadId": p.lead, "channel": "EMAIL", "note": "By clerk A"},
        "feedback { id }",
    )
    for assignee in (p.victim, p.clerk_a):
        await mutate_ok(
            client,
            manager,
            "reassignLead",
            {"leadId": p.reassignable_lead, "assigneeId": assignee},
            "lead { id }",
        )
    await mutate_ok(
        client,
        manager,
        "closeLead",
        {"leadId": p.closable_lead, "outcome": "UNSUCCESSFUL", "reason": "OTHER"},
        "lead { id }",
    )
    for opportunity, owner in ((p.handover_opportunity, p.clerk_b), (p.opportunity, p.victim)):
        await mutate_ok(
            client,
            manager,
            "handOverOpportunity",
            {"opportunityId": opportunity, "ownerId": owner},
            "opportunity { id }",
        )
    await mutate_ok(
        client, manager, "updateContact", {"contactId": p.contact, "city": "Köln"}, "contact { id }"
    )
    await mutate_ok(client, actors.admin, "deactivateUser", {"userId": p.victim}, "user { id }")
    await LeadImport.filter(id=decode_id(p.lead_import, "LeadImport", ["id"])).update(
        created_by_id=manager.user.id
    )
    to_deactivate = await make_actor("leaving@test.example", "Lea Leaving", Role.CLERK)
    return Touched(
        lead=p.lead,
        reassigned=p.reassignable_lead,
        closed=p.closable_lead,
        handed_over=p.handover_opportunity,
        victims=p.opportunity,
        victim=p.victim,
        lead_import=p.lead_import,
        to_deactivate=to_deactivate.gid,
    )


def lead_edge(lead: str, selection: str) -> Operation:
    return query(f"query($id: ID!) {{ lead(id: $id) {{ {selection} }} }}", id=lead)


def opportunity_edge(opportunity: str, selection: str) -> Operation:
    return query(f"query($id: ID!) {{ opportunity(id: $id) {{ {selection} }} }}", id=opportunity)


def user_mutation(name: str, input: dict[str, Any]) -> Operation:
    return mutation_text(name, f"user {U}"), {"input": input}


USER_EDGES: dict[str, Callable[[Prepared, Touched], Operation]] = {
    "Query.viewer": lambda p, t: query(f"{{ viewer {U} }}"),
    "Query.users": lambda p, t: query(f"{{ users {U} }}"),
    "Lead.assignee": lambda p, t: lead_edge(t.lead, f"assignee {U}"),
    "Lead.closedBy": lambda p, t: lead_edge(t.closed, f"closedBy {U}"),
    "Feedback.author": lambda p, t: lead_edge(t.lead, f"feedback {{ author {U} }}"),
    "LeadEvent.actor": lambda p, t: lead_edge(t.lead, f"history {{ actor {U} }}"),
    "LeadEvent.assignee": lambda p, t: lead_edge(t.reassigned, f"history {{ assignee {U} }}"),
    "LeadEvent.previousAssignee": lambda p, t: lead_edge(
        t.reassigned, f"history {{ previousAssignee {U} }}"
    ),
    "Activity.assignee": lambda p, t: lead_edge(t.lead, f"activities {{ assignee {U} }}"),
    "Activity.createdBy": lambda p, t: lead_edge(t.lead, f"activities {{ createdBy {U} }}"),
    "ContactChange.actor": lambda p, t: lead_edge(t.lead, f"contact {{ history {{ actor {U} }} }}"),
    "Opportunity.owner": lambda p, t: opportunity_edge(t.victims, f"owner {U}"),
    "OpportunityEvent.actor": lambda p, t: opportunity_edge(
        t.handed_over, f"history {{ actor {U} }}"
    ),
    "OpportunityEvent.owner": lambda p, t: opportunity_edge(
        t.handed_over, f"history {{ owner {U} }}"
    ),
    "OpportunityEvent.previousOwner": lambda p, t: opportunity_edge(
        t.handed_over, f"history {{ previousOwner {U} }}"
    ),
    "ClerkReport.clerk": lambda p, t: query(f"{{ clerkReports {{ clerk {U} }} }}"),
    "LeadImport.createdBy": lambda p, t: query(
        f"query($id: ID!) {{ leadImport(id: $id) {{ createdBy {U} }} }}", id=t.lead_import
    ),
    "ApiToken.user": lambda p, t: query(
        f"query($id: ID!) {{ apiTokens(userId: $id) {{ user {U} }} }}", id=p.clerk_a
    ),
    "AuditEntry.actor": lambda p, t: query(
        f"{{ auditLog {{ edges {{ node {{ actor {U} }} }} }} }}"
    ),
    "Webhook.owner": lambda p, t: query(
        f"query($id: ID!) {{ webhook(id: $id) {{ owner {U} }} }}", id=p.webhook
    ),
    # Mutations last: they change what the reads above would see.
    "CreateUserPayload.user": lambda p, t: user_mutation(
        "createUser", {"email": "edge@test.example", "name": "Ed Edge", "role": "CLERK"}
    ),
    "DeactivateUserPayload.user": lambda p, t: user_mutation(
        "deactivateUser", {"userId": t.to_deactivate}
    ),
    "LinkPartnerCampaignsPayload.user": lambda p, t: user_mutation(
        "linkPartnerCampaigns", {"userId": p.partner, "campaignIds": [p.campaign]}
    ),
    "Assignment.assignee": lambda p, t: (
        mutation_text("distributeLeads", f"assignments {{ assignee {U} }}"),
        {"input": {"leadIds": [p.new_lead], "clerkIds": [p.clerk_a], "preview": True}},
    ),
    "CampaignDistribution.clerks": lambda p, t: (
        mutation_text("setCampaignDistribution", f"campaign {{ distribution {{ clerks {U} }} }}"),
        {"input": {"campaignId": p.campaign, "clerkIds": [p.clerk_a], "automatic": False}},
    ),
    "UpdateClerkSettingsPayload.user": lambda p, t: user_mutation(
        "updateClerkSettings", {"userId": p.clerk_a, "absences": []}
    ),
    "UpdateNotificationSettingsPayload.user": lambda p, t: user_mutation(
        "updateNotificationSettings", {"emailNotifications": True}
    ),
}


def user_edge_fields() -> set[str]:
    graphql_schema = build_schema(schema.as_str())
    return {
        f"{type_name}.{field_name}"
        for type_name, graphql_type in graphql_schema.type_map.items()
        if isinstance(graphql_type, GraphQLObjectType) and not type_name.startswith("__")
        for field_name, field in graphql_type.fields.items()
        if get_named_type(field.type).name == "User"
    }


def test_every_user_edge_has_a_rule():
    missing = sorted(user_edge_fields() - set(USER_EDGES))
    assert not missing, f"fields returning a User without a case in USER_EDGES: {missing}"
    stale = sorted(set(USER_EDGES) - user_edge_fields())
    assert not stale, f"USER_EDGES cases for fields the schema no longer has: {stale}"
    # Every field of a user is public or a detail; details can be withheld (nullable).
    user_type = build_schema(schema.as_str()).type_map["User"]
    assert set(user_type.fields) == USER_PUBLIC | USER_DETAILS | USER_PERSONAL
    for name in USER_DETAILS:
        assert not is_non_null_type(user_type.fields[name].type), f"User.{name} must be nullable"
    assert USER_PUBLIC == field_policy.USER_PUBLIC_FIELDS
    assert USER_DETAILS == field_policy.USER_DETAIL_FIELDS


def returned_users(data: Any) -> list[dict[str, Any]]:
    """Every user in a response (the only objects asked for `openLeadCount`)."""
    if isinstance(data, list):
        return [user for item in data for user in returned_users(item)]
    if not isinstance(data, dict):
        return []
    if "openLeadCount" in data:
        return [data]
    return [user for value in data.values() for user in returned_users(value)]


async def user_problem(kind: str, viewer: User, returned: dict[str, Any]) -> str:
    """'' when a returned user shows what the rule allows, else what is wrong."""
    user = await User.get(id=decode_id(returned["id"], "User", ["id"]))
    if returned["name"] != user.name:
        return f"the name of {user.email} is missing: {returned}"
    details = {key: returned[key] for key in USER_DETAILS}
    if not sees_details(kind, viewer, user):
        hidden = dict.fromkeys(USER_DETAILS)
        return "" if details == hidden else f"details of {user.email} shown: {returned}"
    open_leads = await Lead.filter(assignee_id=user.id, closed_at=None).count()
    expected = {
        "email": user.email,
        "role": user.role.value,
        "active": user.active,
        "openLeadCount": open_leads,
        "capacity": user.capacity,
    }
    return "" if details == expected else f"details of {user.email}: {details} != {expected}"


@pytest.mark.parametrize("kind", SIGNED_IN)
async def test_user_details_on_every_edge(client, actors: Actors, kind: str):
    other_partner = await make_actor("other.partner@test.example", "Olga Other", Role.PARTNER)
    prepared = await prepare(client, actors, other_partner)
    touched = await touch_by_others(client, actors, prepared)
    actor = actor_of(kind, actors, other_partner)
    problems, hidden = [], set()
    for edge, operation in USER_EDGES.items():
        text, variables = operation(prepared, touched)
        body = await gql(client, text, variables, actor=actor)
        users = returned_users(body.get("data"))
        if kind == "admin" and (body.get("errors") or not users):
            problems.append(f"{edge}: the admin got no user to check: {body}")
        for returned in users:
            problem = await user_problem(kind, actor.user, returned)
            if problem:
                problems.append(f"{edge} as {kind}: {problem}")
            elif returned["email"] is None:
                hidden.add(edge)
    assert not problems, "\n".join(problems)
    # Clerk A's own things were touched by a manager, a partner and a deactivated clerk.
    if kind == "clerk_a":
        assert hidden >= {
            "Lead.closedBy",
            "Feedback.author",
            "LeadEvent.actor",
            "LeadEvent.assignee",
            "LeadEvent.previousAssignee",
            "ContactChange.actor",
            "Opportunity.owner",
            "OpportunityEvent.actor",
            "Activity.assignee",
        }, hidden


def name_only(actor: Actor) -> dict[str, Any]:
    return {"name": actor.user.name, "email": None, "role": None, "active": None}


def everything(actor: Actor) -> dict[str, Any]:
    user = actor.user
    return {"name": user.name, "email": user.email, "role": user.role.value, "active": True}


async def test_a_clerk_sees_names_of_others_on_own_leads_but_no_details(client, actors: Actors):
    """Finding: a clerk read managers' and partners' emails and roles in history, feedback,
    closedBy and opportunity history of their own leads."""
    other_partner = await make_actor("other.partner@test.example", "Olga Other", Role.PARTNER)
    prepared = await prepare(client, actors, other_partner)
    touched = await touch_by_others(client, actors, prepared)
    person = "{ name email role active }"
    body = await gql(
        client,
        f"""query($lead: ID!, $closed: ID!, $reassigned: ID!, $handed: ID!, $victims: ID!) {{
          lead: lead(id: $lead) {{ assignee {person}
            feedback {{ author {person} }} history {{ kind actor {person} }} }}
          closed: lead(id: $closed) {{ closedBy {person} }}
          reassigned: lead(id: $reassigned) {{
            history {{ kind assignee {person} previousAssignee {person} }} }}
          handed: opportunity(id: $handed) {{
            owner {person} history {{ kind actor {person} owner {person} }} }}
          victims: opportunity(id: $victims) {{ owner {person} }}
        }}""",
        {
            "lead": touched.lead,
            "closed": touched.closed,
            "reassigned": touched.reassigned,
            "handed": touched.handed_over,
            "victims": touched.victims,
        },
        actor=actors.clerk_a,
    )
    data = data_of(body)
    manager, partner, clerk_a = actors.manager, actors.partner, actors.clerk_a
    victim = Actor(user=await User.get(email="victim@test.example"), token="")
    assert data["lead"]["assignee"] == everything(clerk_a)
    assert [entry["author"] for entry in data["lead"]["feedback"]] == [
        name_only(manager),
        everything(clerk_a),
    ]
    actors_by_kind = {entry["kind"]: entry["actor"] for entry in data["lead"]["history"]}
    assert actors_by_kind["CREATED"] == name_only(partner)
    assert actors_by_kind["ASSIGNED"] == name_only(manager)
    assert data["closed"]["closedBy"] == name_only(manager)
    reassignments = [e for e in data["reassigned"]["history"] if e["kind"] == "REASSIGNED"]
    assert [(e["previousAssignee"], e["assignee"]) for e in reassignments] == [
        (everything(clerk_a), name_only(victim)),  # the victim is deactivated by now
        (name_only(victim), everything(clerk_a)),
    ]
    history = data["handed"]["history"]
    assert [(e["kind"], e["actor"], e["owner"]) for e in history] == [
        ("CREATED", everything(clerk_a), everything(clerk_a)),
        ("HANDED_OVER", name_only(manager), everything(actors.clerk_b)),
    ]
    assert data["handed"]["owner"] == everything(actors.clerk_b)
    assert data["victims"]["owner"] == name_only(victim)
    # The manager sees all of it.
    body = await gql(
        client,
        f"query($id: ID!) {{ lead(id: $id) {{ history {{ kind actor {person} }} }} }}",
        {"id": touched.lead},
        actor=manager,
    )
    actors_by_kind = {e["kind"]: e["actor"] for e in data_of(body)["lead"]["history"]}
    assert actors_by_kind["CREATED"] == {
        "name": partner.user.name,
        "email": partner.user.email,
        "role": "PARTNER",
        "active": True,
    }
    assert actors_by_kind["ASSIGNED"] == everything(manager)
