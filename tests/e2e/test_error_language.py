"""A refusal from the server in the user's language: a clerk whose open lead a manager has just
given to someone else saves feedback and closes it, and is told in German (or English), never
in the server's English words for developers.

With live updates the lead page learns of the reassignment at once and disables its forms
(tests/e2e/test_live_updates.py); here the clerk's live connection is down (refused), so the
page is stale and the refusal comes from the server, as it does whenever the event is late."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CLERK_CLARA, CLERK_DAVID, PASSWORD, Seeded, log_in
from tests.e2e.test_lead_detail import assign

I18N = Path(__file__).resolve().parents[2] / "backend" / "leadflow" / "i18n"
REASSIGN = """mutation($input: ReassignLeadInput!) {
  reassignLead(input: $input) { lead { id } userErrors { message } }
}"""
# The server's refusal (policy.lead_scope), which must not reach the page.
SERVER_REFUSAL = "This lead is assigned to someone else."


def text(language: str, key: str) -> str:
    return json.loads((I18N / f"{language}.json").read_text(encoding="utf-8"))[key]


def reassign(seeded: Seeded, lead_id: str, clerk_email: str) -> None:
    payload = seeded.graphql(
        REASSIGN, input={"leadId": lead_id, "assigneeId": seeded.clerk_ids[clerk_email]}
    )["reassignLead"]
    assert payload["userErrors"] == [], payload


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_clerk_whose_lead_was_just_reassigned_is_told_in_their_language(
    page, seeded: Seeded, language: str
):
    lead_id = seeded.lead_ids[0]  # Kunde Nummer01
    assign(seeded, [lead_id], CLERK_CLARA)
    page.route_web_socket(re.compile(r"/graphql$"), lambda socket: socket.close(code=1011))
    if language == "en":
        page.context.add_init_script("localStorage.setItem('leadflow.language', 'en')")
        log_in_english(page, seeded)
    else:
        log_in(page, seeded, CLERK_CLARA, PASSWORD)
    expect(page).to_have_url(re.compile(r"/tasks$"))
    page.goto(f"{seeded.url}/leads/{lead_id}")
    feedback = page.locator("section", has=page.locator("#feedback-title"))
    expect(feedback).to_be_visible()

    reassign(seeded, lead_id, CLERK_DAVID)  # while Clara has the page open

    feedback.locator("#feedback-note").fill("Kunde bittet um Rückruf.")
    feedback.locator("button[type=submit]").click()
    refusal = feedback.locator("#feedback-error")
    expect(refusal).to_have_text(text(language, "error.FORBIDDEN"))
    expect(refusal).to_have_attribute("role", "alert")
    expect(page.get_by_text(SERVER_REFUSAL)).to_have_count(0)


def log_in_english(page, seeded: Seeded) -> None:
    page.goto(seeded.url + "/")
    page.get_by_label("Email").fill(CLERK_CLARA)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
