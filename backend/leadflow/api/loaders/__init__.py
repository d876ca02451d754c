"""DataLoaders, one set per request: each batches the lookups of a page into one query.

A fresh set per request keeps batching and caching within one request, and so within one
viewer's visibility."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from leadflow.api.loaders.activities import (
    activities_by_lead,
    activities_by_opportunity,
    next_activity_by_lead,
    next_activity_by_opportunity,
)
from leadflow.api.loaders.campaigns import (
    ImportsKey,
    campaign_distribution_loader,
    campaign_imports_loader,
    campaign_stats_loader,
    managers_settings_loader,
)
from leadflow.api.loaders.contacts import history_by_contact
from leadflow.api.loaders.leads import (
    feedback_by_lead,
    history_by_lead,
    lead_by_id,
    opportunity_by_lead,
)
from leadflow.api.loaders.opportunities import history_by_opportunity
from leadflow.api.loaders.users import absences_by_user, open_lead_count, user_by_id
from leadflow.api.loaders.webhooks import attempts_by_delivery, visible_campaign_loader
from leadflow.db.models import (
    Absence,
    Activity,
    Campaign,
    CampaignDistribution,
    ContactChange,
    Feedback,
    LeadEvent,
    LeadImport,
    Opportunity,
    OpportunityEvent,
    User,
    WebhookAttempt,
)
from leadflow.services.campaigns import CampaignStats, ManagersSettings


class Loaders:
    def __init__(self, viewer: User | None) -> None:
        self.viewer = viewer
        self.opportunity_by_lead = DataLoader[int, Opportunity | None](load_fn=opportunity_by_lead)
        self.feedback_by_lead = DataLoader[int, list[Feedback]](load_fn=feedback_by_lead)
        self.history_by_lead = DataLoader[int, list[LeadEvent]](load_fn=history_by_lead)
        self.history_by_contact = DataLoader[int, list[ContactChange]](load_fn=history_by_contact)
        self.history_by_opportunity = DataLoader[int, list[OpportunityEvent]](
            load_fn=history_by_opportunity
        )
        self.campaign_stats = DataLoader[int, CampaignStats](load_fn=campaign_stats_loader(viewer))
        self.campaign_imports = DataLoader[ImportsKey, list[LeadImport]](
            load_fn=campaign_imports_loader(viewer)
        )
        self.campaign_distribution = DataLoader[int, CampaignDistribution | None](
            load_fn=campaign_distribution_loader(viewer)
        )
        self.managers_settings = DataLoader[int, ManagersSettings | None](
            load_fn=managers_settings_loader(viewer)
        )
        self.open_lead_count = DataLoader[int, int](load_fn=open_lead_count)
        self.lead = DataLoader[int, dict[str, Any] | None](load_fn=lead_by_id)
        self.user = DataLoader[int, User | None](load_fn=user_by_id)
        self.absences_by_user = DataLoader[int, list[Absence]](load_fn=absences_by_user)
        self.activities_by_lead = DataLoader[int, list[Activity]](load_fn=activities_by_lead)
        self.activities_by_opportunity = DataLoader[int, list[Activity]](
            load_fn=activities_by_opportunity
        )
        self.next_activity_by_lead = DataLoader[int, Activity | None](load_fn=next_activity_by_lead)
        self.next_activity_by_opportunity = DataLoader[int, Activity | None](
            load_fn=next_activity_by_opportunity
        )
        self.visible_campaign = DataLoader[int, Campaign | None](
            load_fn=visible_campaign_loader(viewer)
        )
        self.webhook_attempts = DataLoader[int, list[WebhookAttempt]](load_fn=attempts_by_delivery)
