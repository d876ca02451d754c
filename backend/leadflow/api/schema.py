"""The GraphQL schema: root types, node types and extensions."""

from __future__ import annotations

import logging
from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.types import ExecutionContext

from leadflow.api.errors import ErrorTranslation
from leadflow.api.execution import LeanExecutionContext
from leadflow.api.field_policy import FieldPolicy
from leadflow.api.limits import (
    DocumentCache,
    HeavyLane,
    NoIntrospectionRule,
    QueryLimits,
    QueryLimitsExtension,
)
from leadflow.api.mutations.activities import ActivityMutations
from leadflow.api.mutations.admin import AdminMutations
from leadflow.api.mutations.campaigns import CampaignMutations
from leadflow.api.mutations.contacts import ContactMutations
from leadflow.api.mutations.distribution import DistributionMutations
from leadflow.api.mutations.leads import LeadMutations
from leadflow.api.mutations.notification_settings import NotificationSettingsMutations
from leadflow.api.mutations.notifications import NotificationMutations
from leadflow.api.mutations.opportunities import OpportunityMutations
from leadflow.api.mutations.privacy import PrivacyMutations
from leadflow.api.mutations.webhooks import WebhookMutations
from leadflow.api.queries import Query
from leadflow.api.scalars import SCALAR_OVERRIDES
from leadflow.api.subscriptions import Subscription
from leadflow.api.types.activity import ActivityNode
from leadflow.api.types.admin import ApiTokenNode
from leadflow.api.types.contact import ContactNode
from leadflow.api.types.lead import CampaignNode, LeadNode, OpportunityNode
from leadflow.api.types.notification import NotificationNode
from leadflow.api.types.user import UserNode
from leadflow.api.types.webhook import WebhookDeliveryNode, WebhookNode
from leadflow.settings import Settings

log = logging.getLogger("leadflow.api")


@strawberry.type
class Mutation(
    CampaignMutations,
    LeadMutations,
    DistributionMutations,
    OpportunityMutations,
    ActivityMutations,
    ContactMutations,
    AdminMutations,
    NotificationMutations,
    NotificationSettingsMutations,
    WebhookMutations,
    PrivacyMutations,
):
    pass


class LeadflowSchema(strawberry.Schema):
    # The requests that search, a few at a time (web/graphql.py takes it for keyed mutations).
    heavy_lane: HeavyLane | None = None

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with the document around it, so one abusive one-line
        # document could write megabytes of log. Client mistakes get a short line here; an
        # unexpected exception is logged once, with its request id, by ErrorTranslation.
        for error in errors:
            code = (error.extensions or {}).get("code", "-")
            log.info("GraphQL error (%s): %.200s", code, error.message)


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with the limits and the introspection switch of `settings`."""
    limits = QueryLimits.from_settings(settings)
    documents = DocumentCache()
    heavy_lane = HeavyLane(settings.graphql_heavy_concurrency, limits, documents)
    # Factories, so that strawberry makes fresh extension instances for every request.
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        ErrorTranslation,
        FieldPolicy,
        lambda: QueryLimitsExtension(limits=limits, cache=documents, heavy_lane=heavy_lane),
    ]
    if not settings.graphql_introspection:
        extensions.append(lambda: AddValidationRules([NoIntrospectionRule]))
    schema = LeadflowSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            LeadNode,
            CampaignNode,
            ContactNode,
            OpportunityNode,
            ActivityNode,
            UserNode,
            ApiTokenNode,
            NotificationNode,
            WebhookNode,
            WebhookDeliveryNode,
        ],
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
        execution_context_class=LeanExecutionContext,
    )
    schema.heavy_lane = heavy_lane
    return schema


# With the default settings: the exported SDL and tools that need no server.
schema = build_schema(Settings())


def export_sdl() -> str:
    return schema.as_str() + "\n"
