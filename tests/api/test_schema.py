"""The committed schema.graphql is the schema the code serves: the SPA, dashboards and partners
build against that file, so it must never drift from the code."""

from __future__ import annotations

import difflib
from pathlib import Path

from strawberry.types.base import get_object_definition

from leadflow.api.mutations.payload import Payload
from leadflow.api.schema import Mutation, export_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code():
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    generated = export_sdl()
    if committed != generated:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                fromfile="schema.graphql (committed)",
                tofile="export_sdl() (code)",
                n=2,
            )
        )
        raise AssertionError(
            "schema.graphql is out of date with the code: run `make schema` and commit the "
            f"result.\n{diff[:4000]}"
        )


def test_schema_declares_the_fixed_contract():
    """A few names partners rely on, so that regenerating cannot silently drop them."""
    sdl = export_sdl()
    for declaration in (
        "type Query {",
        "type Mutation {",
        "interface Node {",
        "leads(filter: LeadFilter = null, orderBy: LeadOrder = NEWEST, first: Int = null, "
        "after: String = null): LeadConnection!",
        "myTasks(filter: TaskFilter = null, orderBy: TaskOrder = NEXT_DUE, first: Int = null, "
        "after: String = null): LeadConnection!",
        "opportunities(filter: OpportunityFilter = null, orderBy: OpportunityOrder = NEWEST, "
        "first: Int = null, after: String = null): OpportunityConnection!",
        "myTaskCounts: MyTaskCounts!",
        "assignLeads(input: AssignLeadsInput!): AssignLeadsPayload!",
        "closeLead(input: CloseLeadInput!): CloseLeadPayload!",
        "handOverOpportunity(input: HandOverOpportunityInput!): HandOverOpportunityPayload!",
        "userErrors: [UserError!]!",
        # Webhooks (issue 14): the names are a contract.
        "type Webhook implements Node {",
        "createWebhook(input: CreateWebhookInput!): CreateWebhookPayload!",
        "updateWebhook(input: UpdateWebhookInput!): UpdateWebhookPayload!",
        "deleteWebhook(input: DeleteWebhookInput!): DeleteWebhookPayload!",
        "rotateWebhookSecret(input: RotateWebhookSecretInput!): RotateWebhookSecretPayload!",
        "redeliverWebhookEvent(input: RedeliverWebhookEventInput!): RedeliverWebhookEventPayload!",
        "webhooks: [Webhook!]!",
        "setContactOptOut(input: SetContactOptOutInput!): SetContactOptOutPayload!",
        "optedOut: Boolean!",
        "overrideOptOut: Boolean! = false",
        "OPTED_OUT",
    ):
        assert declaration in sdl, declaration


def test_every_mutation_reports_user_errors_through_the_payload_base():
    """Each mutation returns a Payload whose last field is userErrors, so a DomainError becomes
    userErrors (with every other field null) the same way everywhere (payload_mutation)."""
    mutations = get_object_definition(Mutation, strict=True).fields
    assert len(mutations) == 34
    for mutation in mutations:
        payload = mutation.type
        assert isinstance(payload, type) and issubclass(payload, Payload), mutation.python_name
        fields = get_object_definition(payload, strict=True).fields
        assert fields[-1].python_name == "user_errors", payload.__name__
