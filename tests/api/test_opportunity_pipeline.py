"""The opportunity pipeline over HTTP: moveOpportunity (WON/LOST close it, LOST with a reason,
only managers move a closed one back, the owner or a manager moves it at all, two moves at once
leave one winner and a CONFLICT), updateOpportunity (only the given fields, validated) and the
`pipeline` figures per stage, each with its history and its refusals."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from leadflow.api.ids import encode_id
from leadflow.db.models import Opportunity, OpportunityEvent
from tests.helpers import (
    Actor,
    QueryCounter,
    data_of,
    error_codes,
    gql,
    mutate,
    mutate_ok,
    mutation_text,
    new_campaign,
    new_leads,
    snapshot,
)
from tests.services.test_rule_guards import between_read_and_write

OPPORTUNITY = """
query($id: ID!) {
  opportunity(id: $id) {
    id title stage expectedValue expectedCloseDate closedAt lostReason owner { id }
    history { kind actor { id } stage previousStage note }
  }
}"""

PIPELINE = """
query($filter: PipelineFilter) { pipeline(filter: $filter) { stage count totalValue } }"""

MOVED = "opportunity { id stage closedAt lostReason }"
STAGES = ["OPEN", "QUALIFIED", "PROPOSAL", "NEGOTIATION", "WON", "LOST"]


async def won_opportunities(
    client, actors, clerk: Actor, values: list[str | None], campaign_name: str
) -> tuple[str, list[str]]:
    """A campaign with one lead per value, each assigned to `clerk` and closed SUCCESSFUL by
    them with an opportunity of that expected value; returns the campaign and the opportunities'
    global IDs."""
    campaign = await new_campaign(client, actors.manager, campaign_name)
    names = [f"{campaign_name.replace(' ', '')}x{i}" for i in range(len(values))]
    leads = await new_leads(client, actors.manager, campaign, names)
    ids = [lead["id"] for lead in leads]
    await mutate_ok(
        client, actors.manager, "assignLeads", {"leadIds": ids, "assigneeId": clerk.gid}
    )
    opportunities = []
    for lead_id, value in zip(ids, values, strict=True):
        draft: dict[str, Any] = {} if value is None else {"expectedValue": value}
        payload = await mutate_ok(
            client,
            clerk,
            "closeLead",
            {"leadId": lead_id, "outcome": "SUCCESSFUL", "opportunity": draft},
            "opportunity { id }",
        )
        opportunities.append(payload["opportunity"]["id"])
    return campaign, opportunities


async def one_opportunity(client, actors, clerk: Actor | None = None) -> str:
    clerk = clerk or actors.clerk_a
    _, (opportunity,) = await won_opportunities(
        client, actors, clerk, ["100"], f"Pipeline {clerk.user.id}"
    )
    return opportunity


async def move(client, actor: Actor, opportunity_id: str, stage: str, **extra: Any) -> Any:
    return await mutate(
        client,
        actor,
        "moveOpportunity",
        {"opportunityId": opportunity_id, "stage": stage, **extra},
        MOVED,
    )


async def read(client, actor: Actor, opportunity_id: str) -> dict[str, Any]:
    return data_of(await gql(client, OPPORTUNITY, {"id": opportunity_id}, actor=actor))[
        "opportunity"
    ]


async def move_refused(client, actor: Actor, opportunity_id: str, stage: str) -> list[str]:
    body = await gql(
        client,
        mutation_text("moveOpportunity", MOVED),
        {"input": {"opportunityId": opportunity_id, "stage": stage}},
        actor=actor,
    )
    return error_codes(body)


# --- moveOpportunity ------------------------------------------------------------------------


async def test_the_owner_moves_through_the_stages_to_won(client, actors):
    opportunity_id = await one_opportunity(client, actors)
    for stage in ("QUALIFIED", "PROPOSAL", "NEGOTIATION"):
        payload = await move(client, actors.clerk_a, opportunity_id, stage, note=f"to {stage}")
        assert payload["userErrors"] == []
        assert payload["opportunity"]["stage"] == stage
        assert payload["opportunity"]["closedAt"] is None
    won = await move(client, actors.clerk_a, opportunity_id, "WON")
    assert won["userErrors"] == []
    assert won["opportunity"]["stage"] == "WON"
    assert won["opportunity"]["closedAt"] is not None
    assert won["opportunity"]["lostReason"] is None

    history = (await read(client, actors.manager, opportunity_id))["history"]
    moves = [event for event in history if event["kind"] == "STAGE_CHANGED"]
    assert moves == [
        {
            "kind": "STAGE_CHANGED",
            "actor": {"id": actors.clerk_a.gid},
            "stage": stage,
            "previousStage": previous,
            "note": note,
        }
        for previous, stage, note in (
            ("OPEN", "QUALIFIED", "to QUALIFIED"),
            ("QUALIFIED", "PROPOSAL", "to PROPOSAL"),
            ("PROPOSAL", "NEGOTIATION", "to NEGOTIATION"),
            ("NEGOTIATION", "WON", ""),
        )
    ]


async def test_lost_needs_a_reason_and_keeps_it(client, actors):
    opportunity_id = await one_opportunity(client, actors)
    before = await snapshot(client, actors.manager)
    refused = await move(client, actors.clerk_a, opportunity_id, "LOST")
    assert refused["opportunity"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("REQUIRED", ["lostReason"])
    ]
    assert await snapshot(client, actors.manager) == before

    lost = await move(client, actors.clerk_a, opportunity_id, "LOST", lostReason="COMPETITOR")
    assert lost["userErrors"] == []
    assert lost["opportunity"]["stage"] == "LOST"
    assert lost["opportunity"]["lostReason"] == "COMPETITOR"
    assert lost["opportunity"]["closedAt"] is not None


async def test_bad_moves_change_nothing(client, actors):
    opportunity_id = await one_opportunity(client, actors)
    before = await snapshot(client, actors.manager)
    reason_without_lost = await move(
        client, actors.clerk_a, opportunity_id, "WON", lostReason="PRICE"
    )
    assert [e["code"] for e in reason_without_lost["userErrors"]] == ["INVALID"]
    same_stage = await move(client, actors.clerk_a, opportunity_id, "OPEN")
    assert [(e["code"], e["field"]) for e in same_stage["userErrors"]] == [("INVALID", ["stage"])]
    unknown = await move(client, actors.clerk_a, encode_id("Opportunity", 99999), "WON")
    assert [(e["code"], e["field"]) for e in unknown["userErrors"]] == [
        ("NOT_FOUND", ["opportunityId"])
    ]
    wrong_type = await move(client, actors.clerk_a, encode_id("Lead", 1), "WON")
    assert [e["code"] for e in wrong_type["userErrors"]] == ["INVALID"]
    too_long = await move(client, actors.clerk_a, opportunity_id, "WON", note="x" * 100_000)
    assert [e["code"] for e in too_long["userErrors"]] == ["TOO_LONG"]
    assert await snapshot(client, actors.manager) == before


async def test_who_may_move_an_opportunity(client, actors):
    opportunity_id = await one_opportunity(client, actors)
    before = await snapshot(client, actors.manager)
    for refused in (actors.clerk_b, actors.partner, actors.read_only_manager):
        assert await move_refused(client, refused, opportunity_id, "QUALIFIED") == ["FORBIDDEN"]
    assert await snapshot(client, actors.manager) == before
    by_manager = await move(client, actors.manager, opportunity_id, "QUALIFIED")
    assert by_manager["userErrors"] == []
    by_owner = await move(client, actors.clerk_a, opportunity_id, "PROPOSAL")
    assert by_owner["userErrors"] == []


async def test_only_a_manager_moves_a_closed_opportunity_back(client, actors):
    opportunity_id = await one_opportunity(client, actors)
    await move(client, actors.clerk_a, opportunity_id, "WON")
    before = await snapshot(client, actors.manager)
    assert await move_refused(client, actors.clerk_a, opportunity_id, "NEGOTIATION") == [
        "FORBIDDEN"
    ]
    assert await move_refused(client, actors.clerk_a, opportunity_id, "LOST") == ["FORBIDDEN"]
    assert await snapshot(client, actors.manager) == before

    back = await move(client, actors.manager, opportunity_id, "NEGOTIATION", note="Mistake.")
    assert back["userErrors"] == []
    assert back["opportunity"] == {
        "id": opportunity_id,
        "stage": "NEGOTIATION",
        "closedAt": None,
        "lostReason": None,
    }
    # Open again: its owner moves it on.
    again = await move(client, actors.clerk_a, opportunity_id, "LOST", lostReason="PRICE")
    assert again["userErrors"] == []
    history = (await read(client, actors.clerk_a, opportunity_id))["history"]
    assert [(e["previousStage"], e["stage"]) for e in history if e["kind"] == "STAGE_CHANGED"] == [
        ("OPEN", "WON"),
        ("WON", "NEGOTIATION"),
        ("NEGOTIATION", "LOST"),
    ]


async def test_of_two_moves_at_once_one_wins_the_other_conflicts(client, actors):
    """Reached on purpose: the second move commits right after the first one read the row."""
    opportunity_id = await one_opportunity(client, actors)
    second: dict[str, Any] = {}

    async def other_manager() -> None:
        second.update(await move(client, actors.manager2, opportunity_id, "PROPOSAL"))

    async with between_read_and_write(Opportunity, other_manager):
        first = await move(client, actors.manager, opportunity_id, "QUALIFIED")
    assert second["userErrors"] == []
    assert second["opportunity"]["stage"] == "PROPOSAL"
    assert first["opportunity"] is None
    assert [(e["code"], e["field"]) for e in first["userErrors"]] == [
        ("CONFLICT", ["opportunityId"])
    ]
    assert (await read(client, actors.manager, opportunity_id))["stage"] == "PROPOSAL"
    assert await OpportunityEvent.filter(kind="STAGE_CHANGED").count() == 1


async def test_concurrent_moves_over_http_leave_one_winner(client, actors):
    _, opportunity_ids = await won_opportunities(
        client, actors, actors.clerk_a, ["1", "2", "3"], "Race"
    )
    for opportunity_id in opportunity_ids:
        first, second = await asyncio.gather(
            move(client, actors.manager, opportunity_id, "WON"),
            move(client, actors.manager2, opportunity_id, "WON"),
        )
        outcomes = sorted([first["userErrors"], second["userErrors"]], key=len)
        assert outcomes[0] == []
        # The loser either lost at the write or read the row after the winner's commit.
        assert [error["code"] for error in outcomes[1]] in (["CONFLICT"], ["INVALID"])
    assert await OpportunityEvent.filter(kind="STAGE_CHANGED").count() == len(opportunity_ids)


# --- updateOpportunity ----------------------------------------------------------------------


async def update(client, actor: Actor, opportunity_id: str, **changes: Any) -> Any:
    return await mutate(
        client,
        actor,
        "updateOpportunity",
        {"opportunityId": opportunity_id, **changes},
        "opportunity { id title expectedValue expectedCloseDate }",
    )


async def test_update_changes_only_the_given_fields(client, actors):
    opportunity_id = await one_opportunity(client, actors)
    title = (await read(client, actors.clerk_a, opportunity_id))["title"]
    changed = await update(
        client,
        actors.clerk_a,
        opportunity_id,
        expectedValue="2500.5",
        expectedCloseDate="2027-03-31",
    )
    assert changed["userErrors"] == []
    assert changed["opportunity"] == {
        "id": opportunity_id,
        "title": title,
        "expectedValue": "2500.50",
        "expectedCloseDate": "2027-03-31",
    }
    renamed = await update(client, actors.manager, opportunity_id, title="  Solar roof  ")
    assert renamed["opportunity"]["title"] == "Solar roof"
    assert renamed["opportunity"]["expectedValue"] == "2500.50"
    cleared = await update(client, actors.clerk_a, opportunity_id, expectedCloseDate=None)
    assert cleared["opportunity"]["expectedCloseDate"] is None
    assert cleared["opportunity"]["title"] == "Solar roof"

    history = (await read(client, actors.manager, opportunity_id))["history"]
    updates = [(e["actor"]["id"], e["note"]) for e in history if e["kind"] == "UPDATED"]
    assert updates == [
        (
            actors.clerk_a.gid,
            "expected_value: 100.00 -> 2500.50; expected_close_date: - -> 2027-03-31",
        ),
        (actors.manager.gid, f"title: {title} -> Solar roof"),
        (actors.clerk_a.gid, "expected_close_date: 2027-03-31 -> -"),
    ]
    # The same values again: nothing to record.
    same = await update(client, actors.clerk_a, opportunity_id, title="Solar roof")
    assert same["userErrors"] == []
    assert await OpportunityEvent.filter(kind="UPDATED").count() == 3


async def test_bad_updates_change_nothing(client, actors):
    opportunity_id = await one_opportunity(client, actors)
    before = await snapshot(client, actors.manager)
    cases = [
        ({"expectedValue": "-1"}, "INVALID", ["expectedValue"]),
        ({"title": "   "}, "REQUIRED", ["title"]),
        ({"title": None}, "REQUIRED", ["title"]),
        ({"title": "x" * 300}, "TOO_LONG", ["title"]),
        ({}, "REQUIRED", ["input"]),
    ]
    for changes, code, field in cases:
        payload = await update(client, actors.clerk_a, opportunity_id, **changes)
        assert payload["opportunity"] is None, changes
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], changes
    unknown = await update(client, actors.clerk_a, encode_id("Opportunity", 99999), title="X")
    assert [e["code"] for e in unknown["userErrors"]] == ["NOT_FOUND"]
    wrong_type = await update(client, actors.clerk_a, encode_id("Campaign", 1), title="X")
    assert [e["code"] for e in wrong_type["userErrors"]] == ["INVALID"]
    for refused in (actors.clerk_b, actors.partner, actors.read_only_manager):
        body = await gql(
            client,
            mutation_text("updateOpportunity", "opportunity { id }"),
            {"input": {"opportunityId": opportunity_id, "title": "Mine now"}},
            actor=refused,
        )
        assert error_codes(body) == ["FORBIDDEN"]
    assert await snapshot(client, actors.manager) == before


# --- pipeline -------------------------------------------------------------------------------


def figures(**by_stage: tuple[int, str]) -> list[dict[str, Any]]:
    """The expected pipeline: every stage in order, zeros where not given."""
    return [
        {"stage": stage, "count": by_stage.get(stage, (0, "0"))[0], "totalValue": total}
        for stage in STAGES
        for total in [str(Decimal(by_stage.get(stage, (0, "0"))[1]).quantize(Decimal("0.01")))]
    ]


async def pipeline(client, actor: Actor, **filter: Any) -> list[dict[str, Any]]:
    return data_of(await gql(client, PIPELINE, {"filter": filter}, actor=actor))["pipeline"]


async def test_pipeline_figures_per_stage_and_viewer(client, actors):
    north, (a1, a2, a3) = await won_opportunities(
        client, actors, actors.clerk_a, ["100.10", "200.25", None], "North"
    )
    south, (b1, b2) = await won_opportunities(
        client, actors, actors.clerk_b, ["1000", "0.05"], "South"
    )
    await move(client, actors.clerk_a, a2, "QUALIFIED")
    await move(client, actors.clerk_a, a3, "LOST", lostReason="NO_BUDGET")
    await move(client, actors.clerk_b, b1, "WON")
    await move(client, actors.clerk_b, b2, "QUALIFIED")
    # An opportunity from clerk A's lead, handed over to clerk B: both see it.
    await mutate_ok(
        client,
        actors.clerk_a,
        "handOverOpportunity",
        {"opportunityId": a1, "ownerId": actors.clerk_b.gid},
    )

    everything = figures(
        OPEN=(1, "100.10"), QUALIFIED=(2, "200.30"), WON=(1, "1000"), LOST=(1, "0")
    )
    assert await pipeline(client, actors.manager) == everything
    assert await pipeline(client, actors.read_only_manager) == everything
    assert await pipeline(client, actors.clerk_a) == figures(
        OPEN=(1, "100.10"), QUALIFIED=(1, "200.25"), LOST=(1, "0")
    )
    assert await pipeline(client, actors.clerk_b) == figures(
        OPEN=(1, "100.10"), QUALIFIED=(1, "0.05"), WON=(1, "1000")
    )
    # Filters: the owner, the campaign of the originating lead.
    assert await pipeline(client, actors.manager, ownerId=actors.clerk_b.gid) == figures(
        OPEN=(1, "100.10"), QUALIFIED=(1, "0.05"), WON=(1, "1000")
    )
    assert await pipeline(client, actors.manager, campaignId=north) == figures(
        OPEN=(1, "100.10"), QUALIFIED=(1, "200.25"), LOST=(1, "0")
    )
    assert await pipeline(client, actors.clerk_b, campaignId=south) == figures(
        QUALIFIED=(1, "0.05"), WON=(1, "1000")
    )
    assert (
        await pipeline(client, actors.manager, campaignId=south, ownerId=actors.clerk_a.gid)
        == figures()
    )
    # Refusals: a partner sees no opportunities, a clerk lists only their own.
    assert error_codes(await gql(client, PIPELINE, actor=actors.partner)) == ["FORBIDDEN"]
    assert error_codes(
        await gql(
            client, PIPELINE, {"filter": {"ownerId": actors.clerk_b.gid}}, actor=actors.clerk_a
        )
    ) == ["FORBIDDEN"]
    wrong_type = await gql(client, PIPELINE, {"filter": {"campaignId": a1}}, actor=actors.manager)
    assert wrong_type.get("errors"), wrong_type


async def test_pipeline_without_opportunities_is_all_zeros(client, actors):
    assert await pipeline(client, actors.clerk_a) == figures()


async def test_pipeline_is_one_grouped_query(client, actors):
    await won_opportunities(client, actors, actors.clerk_a, ["5", "7"], "Grouped")
    with QueryCounter() as counter:
        result = await pipeline(client, actors.clerk_a, campaignId=None)
    assert result == figures(OPEN=(2, "12"))
    reads = [sql for sql in counter.statements if '"opportunities"' in sql]
    assert len(reads) == 1, reads
    assert "GROUP BY" in reads[0].upper()
