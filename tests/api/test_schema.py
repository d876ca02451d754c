"""The committed schema.graphql is the schema the code serves: the SPA, dashboards and partners
build against that file, so it must never drift from the code."""

from __future__ import annotations

import difflib
from pathlib import Path

from leadflow.api.schema import export_sdl

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
        "leads(filter: LeadFilter = null, first: Int = null, after: String = null): "
        "LeadConnection!",
        "myTasks(first: Int = null, after: String = null): LeadConnection!",
        "assignLeads(input: AssignLeadsInput!): AssignLeadsPayload!",
        "closeLead(input: CloseLeadInput!): CloseLeadPayload!",
        "handOverOpportunity(input: HandOverOpportunityInput!): HandOverOpportunityPayload!",
        "userErrors: [UserError!]!",
    ):
        assert declaration in sdl, declaration
