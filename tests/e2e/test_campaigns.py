"""Kampagnen in a real browser: a manager sees every campaign's New/Active/Done, the outcomes and
the conversion rate, as a chart and as numbers."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import CLERK_CLARA, Seeded, log_in_as_manager, screenshot
from tests.e2e.test_lead_detail import assign
from tests.live_server import leadflow_cli

CLOSE = """mutation($input: CloseLeadInput!) {
  closeLead(input: $input) { lead { id status } userErrors { message } }
}"""


def close_as(seeded: Seeded, token: str, lead_id: str, outcome: str) -> None:
    close = {"leadId": lead_id, "outcome": outcome}
    if outcome == "UNSUCCESSFUL":
        close["reason"] = "NOT_INTERESTED"
    response = httpx.post(
        seeded.server.graphql_url,
        json={"query": CLOSE, "variables": {"input": close}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["closeLead"]["userErrors"] == [], body


def test_a_manager_sees_the_figures_of_every_campaign(page, seeded: Seeded, tmp_path: Path):
    # Messe Herbst 2026: 30 leads; 10 go to Clara, who closes 3 erfolgreich and 2 erfolglos.
    assign(seeded, seeded.lead_ids[:10], CLERK_CLARA)
    token = leadflow_cli(tmp_path, "tokens", "create", CLERK_CLARA).strip().splitlines()[-1]
    for lead_id in seeded.lead_ids[:3]:
        close_as(seeded, token, lead_id, "SUCCESSFUL")
    for lead_id in seeded.lead_ids[3:5]:
        close_as(seeded, token, lead_id, "UNSUCCESSFUL")
    # A second campaign without leads: nothing done yet, so no rate.
    seeded.graphql(
        """mutation($input: CreateCampaignInput!) {
          createCampaign(input: $input) { campaign { id } userErrors { message } }
        }""",
        input={"name": "Webinar Frühjahr"},
    )

    log_in_as_manager(page, seeded)
    expect(page).to_have_url(re.compile(r"/leads\?tab=new$"))
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Kampagnen"
    ).click()
    expect(page).to_have_url(re.compile(r"/campaigns$"))
    expect(page.get_by_role("heading", name="Kampagnen")).to_be_visible()
    expect(page.get_by_test_id("campaigns-total")).to_have_text("2 Kampagnen")

    fair = page.get_by_role("row", name=re.compile("Messe Herbst 2026"))
    # Kampagne, Leads, Neu, Aktiv, Erledigt, erfolgreich, erfolglos, Abschlussquote
    expect(fair.get_by_role("cell")).to_have_text(
        ["30", "20", "5", "5", "3", "2", re.compile(r"^60\s%$")]
    )
    webinar = page.get_by_role("row", name=re.compile("Webinar Frühjahr"))
    expect(webinar.get_by_role("cell")).to_have_text(["0", "0", "0", "0", "0", "0", "—"])

    # The stacked bars: a canvas with its numbers in words.
    chart = page.get_by_role("img", name=re.compile("Messe Herbst 2026: 20 neu, 5 aktiv"))
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", re.compile("3 erfolgreich, 2 erfolglos"))
    screenshot(page, "campaigns", full_page=True)

    # The same numbers in English.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    expect(fair.get_by_test_id("conversion-rate")).to_have_text("60%")
