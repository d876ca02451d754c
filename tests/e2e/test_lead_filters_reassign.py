"""The leads overview's campaign filter and search (in the URL, applied to rows and counts), and
a manager reassigning an active lead to another clerk."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import CLERK_CLARA, CLERK_DAVID, Seeded, log_in_as_manager
from tests.e2e.test_lead_detail import assign

CREATE_CAMPAIGN = """mutation($input: CreateCampaignInput!) {
  createCampaign(input: $input) { campaign { id } userErrors { message } }
}"""
CREATE_LEADS = """mutation($input: CreateLeadsInput!) {
  createLeads(input: $input) { leads { id } userErrors { message } }
}"""


def test_campaign_filter_and_search_change_rows_and_counts_and_survive_a_reload(
    page, seeded: Seeded
):
    campaign = seeded.graphql(CREATE_CAMPAIGN, input={"name": "Webinar Frühjahr"})
    campaign_id = campaign["createCampaign"]["campaign"]["id"]
    leads = [
        {"firstName": "Erika", "lastName": "Muster", "company": "Zebra AG", "email": "e@z.example"},
        {"firstName": "Otto", "lastName": "Normal", "company": "Yak KG", "email": "o@y.example"},
    ]
    seeded.graphql(CREATE_LEADS, input={"campaignId": campaign_id, "leads": leads})
    assign(seeded, seeded.lead_ids[:3], CLERK_CLARA)

    log_in_as_manager(page, seeded)
    expect(page.get_by_test_id("count-new")).to_have_text("29")
    expect(page.get_by_test_id("count-active")).to_have_text("3")

    page.get_by_label("Kampagne", exact=True).select_option(label="Webinar Frühjahr")
    expect(page.get_by_test_id("count-new")).to_have_text("2")
    expect(page.get_by_test_id("count-active")).to_have_text("0")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"campaign="))

    page.get_by_label("Suche").fill("zebra")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Erika Muster")
    expect(page.get_by_test_id("count-new")).to_have_text("1")
    expect(page).to_have_url(re.compile(r"q=zebra"))

    page.reload()
    expect(page.get_by_label("Suche")).to_have_value("zebra")
    expect(page.get_by_label("Kampagne", exact=True)).to_have_value(campaign_id)
    expect(rows).to_have_count(1)
    expect(page.get_by_test_id("count-new")).to_have_text("1")

    # Back to every campaign: the search alone still applies, to the counts too.
    page.get_by_label("Kampagne", exact=True).select_option(label="Alle Kampagnen")
    page.get_by_label("Suche").fill("Nummer02")
    expect(page.get_by_test_id("count-active")).to_have_text("1")
    expect(page.get_by_test_id("count-new")).to_have_text("0")
    page.get_by_role("link", name=re.compile("Aktiv")).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Kunde Nummer02")
    expect(page).to_have_url(re.compile(r"tab=active.*q=Nummer02"))


def test_a_manager_reassigns_an_active_lead(page, seeded: Seeded):
    lead_id = seeded.lead_ids[0]
    assign(seeded, [lead_id], CLERK_CLARA)
    log_in_as_manager(page, seeded)
    page.get_by_role("link", name=re.compile("Aktiv")).click()
    page.get_by_role("link", name="Kunde Nummer01").click()
    expect(page.get_by_test_id("lead-assignee")).to_have_text("Clara Clerk")

    reassign = page.get_by_role("region", name="Neu zuweisen")
    reassign.get_by_role("button", name="Neu zuweisen").click()
    expect(reassign.get_by_label("Neuer Sachbearbeiter")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#reassign-assignee-error")).to_have_text(
        "Bitte einen Sachbearbeiter auswählen."
    )

    reassign.get_by_label("Neuer Sachbearbeiter").select_option(label="David Clerk")
    reassign.get_by_role("button", name="Neu zuweisen").click()
    expect(page.get_by_role("status").filter(has_text="zugewiesen")).to_have_text(
        "Der Lead wurde David Clerk zugewiesen."
    )
    expect(page.get_by_test_id("lead-assignee")).to_have_text("David Clerk")
    expect(page.get_by_test_id("history")).to_contain_text(
        "Von Clara Clerk an David Clerk übergeben"
    )
    lead = seeded.graphql("query($id: ID!) { lead(id: $id) { assignee { id } } }", id=lead_id)
    assert lead["lead"]["assignee"]["id"] == seeded.clerk_ids[CLERK_DAVID]
