"""Any object by its global ID (`node(id:)` and the single-object queries), under the same
visibility rules as the lists."""

from __future__ import annotations

from leadflow.api.ids import parse_global_id
from leadflow.api.types.admin import ApiTokenNode
from leadflow.api.types.contact import ContactNode
from leadflow.api.types.lead import (
    CampaignNode,
    LeadImportNode,
    load_activity_node,
    load_lead_node,
    load_opportunity_node,
)
from leadflow.api.types.node import Node
from leadflow.api.types.notification import NotificationNode
from leadflow.api.types.user import UserNode
from leadflow.api.types.webhook import WebhookDeliveryNode, WebhookNode
from leadflow.db.models import User
from leadflow.services import (
    accounts,
    activities,
    campaigns,
    contacts,
    imports,
    leads,
    notifications,
    opportunities,
    users,
)
from leadflow.services.webhooks import manage as webhooks


async def resolve_node(actor: User, raw_id: str) -> Node:
    type_name, pk = parse_global_id(raw_id, ["id"])
    if type_name == "Lead":
        lead = await leads.get_lead(actor, pk)
        return await load_lead_node(lead.id)
    if type_name == "Opportunity":
        opportunity = await opportunities.get_opportunity(actor, pk)
        return await load_opportunity_node(opportunity.id)
    if type_name == "Activity":
        activity = await activities.get_activity(actor, pk)
        return await load_activity_node(activity.id)
    if type_name == "Campaign":
        return CampaignNode.from_model(await campaigns.get_campaign(actor, pk))
    if type_name == "Contact":
        return ContactNode.from_model(await contacts.get_contact(actor, pk))
    if type_name == "LeadImport":
        return LeadImportNode.from_model(await imports.get_import(actor, pk))
    if type_name == "Notification":
        return NotificationNode.from_model(await notifications.get_notification(actor, pk))
    if type_name == "Webhook":
        return WebhookNode.from_model(await webhooks.find_webhook(actor, pk))
    if type_name == "WebhookDelivery":
        return WebhookDeliveryNode.from_model(await webhooks.find_delivery(actor, pk))
    if type_name == "ApiToken":
        return ApiTokenNode.from_model(await accounts.get_api_token(actor, pk))
    return UserNode.from_model(await users.get_user(actor, pk))
