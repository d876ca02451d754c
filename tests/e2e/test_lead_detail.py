"""The lead detail in a real browser: a clerk records feedback and closes leads, and cannot open
another clerk's lead."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import (
    CLERK_CLARA,
    CLERK_DAVID,
    PASSWORD,
    Seeded,
    log_in,
    log_in_as_manager,
    screenshot,
)

ASSIGN = """mutation($input: AssignLeadsInput!) {
  assignLeads(input: $input) { leads { id } userErrors { message } }
}"""


def assign(seeded: Seeded, lead_ids: list[str], clerk_email: str) -> None:
    payload = seeded.graphql(
        ASSIGN, input={"leadIds": lead_ids, "assigneeId": seeded.clerk_ids[clerk_email]}
    )["assignLeads"]
    assert payload["userErrors"] == [], payload


def lead_status(seeded: Seeded, lead_id: str) -> dict:
    return seeded.graphql(
        "query($id: ID!) { lead(id: $id) { status outcome closeReason feedback { note } } }",
        id=lead_id,
    )["lead"]


def test_a_clerk_records_feedback_and_closes_leads_from_the_task_list(page, seeded: Seeded):
    first, second = seeded.lead_ids[0], seeded.lead_ids[1]  # Kunde Nummer01, Nummer02
    assign(seeded, [first, second], CLERK_CLARA)
    log_in(page, seeded, CLERK_CLARA, PASSWORD)
    expect(page.get_by_test_id("tasks-total")).to_have_text("2 offene Leads")

    page.get_by_role("link", name="Kunde Nummer01").click()
    expect(page).to_have_url(re.compile(r"/leads/[^/]+$"))
    expect(page.get_by_role("heading", name=re.compile("Kunde Nummer01"))).to_be_visible()
    expect(page.get_by_role("link", name="+49 30 123401")).to_have_attribute(
        "href", "tel:+4930123401"
    )
    expect(page.get_by_role("link", name="kunde01@example.com")).to_have_attribute(
        "href", "mailto:kunde01@example.com"
    )
    expect(page.get_by_text("Messe Herbst 2026")).to_be_visible()
    expect(page.get_by_test_id("lead-status")).to_have_text("Aktiv")
    expect(page.get_by_test_id("lead-assignee")).to_have_text("Clara Clerk")
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("Lead angelegt")
    expect(history).to_contain_text("An Clara Clerk verteilt")
    expect(page.get_by_text("Noch kein Feedback erfasst.")).to_be_visible()

    # Feedback: an empty note is refused next to the note, then the note is saved.
    feedback = page.get_by_role("region", name="Feedback erfassen")
    feedback.get_by_role("button", name="Feedback speichern").click()
    note = feedback.get_by_label("Notiz")
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#feedback-note-error")).to_have_text("Bitte eine Notiz eingeben.")
    feedback.get_by_label("Kanal").select_option(label="Telefon")
    note.fill("Nicht erreicht, Mailbox besprochen.")
    feedback.get_by_role("button", name="Feedback speichern").click()
    expect(page.get_by_role("status").filter(has_text="gespeichert")).to_have_text(
        "Das Feedback wurde gespeichert."
    )
    expect(page.get_by_test_id("feedback-log")).to_contain_text(
        "Nicht erreicht, Mailbox besprochen."
    )
    expect(page.get_by_test_id("feedback-log")).to_contain_text("Telefon · Clara Clerk")
    expect(history).to_contain_text("Feedback erfasst")
    expect(note).to_have_value("")
    expect(note).not_to_have_attribute("aria-invalid", "true")

    # Abschließen, erfolglos: without a reason the server refuses, next to the reason.
    close = page.get_by_role("region", name="Abschließen")
    close.get_by_role("button", name="Abschließen").click()
    expect(close.get_by_role("alert")).to_have_text("Bitte wählen: erfolgreich oder erfolglos.")
    close.get_by_role("radio", name="erfolglos").check()
    close.get_by_role("button", name="Abschließen").click()
    reason = close.get_by_label("Grund")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_attribute("aria-describedby", "close-reason-error")
    expect(page.locator("#close-reason-error")).to_have_text(
        "Bitte einen Grund auswählen: Warum war der Lead erfolglos?"
    )
    screenshot(page, "lead-detail", full_page=True)
    assert lead_status(seeded, first)["status"] == "ACTIVE"  # nothing changed

    reason.select_option(label="Nicht erreichbar")
    close.get_by_label("Notiz (optional)").fill("Dreimal versucht.")
    close.get_by_role("button", name="Abschließen").click()
    close.get_by_role("button", name="Ja, abschließen").click()
    expect(page.get_by_role("status").filter(has_text="abgeschlossen")).to_contain_text(
        "Der Lead wurde als erfolglos abgeschlossen."
    )
    expect(page.get_by_test_id("lead-status")).to_have_text("Erledigt · erfolglos")
    expect(history).to_contain_text("Abgeschlossen: erfolglos (Nicht erreichbar)")
    expect(page.get_by_role("region", name="Abschließen")).to_have_count(0)
    expect(page.get_by_role("region", name="Feedback erfassen")).to_have_count(0)
    assert lead_status(seeded, first) == {
        "status": "DONE",
        "outcome": "UNSUCCESSFUL",
        "closeReason": "UNREACHABLE",
        "feedback": [{"note": "Nicht erreicht, Mailbox besprochen."}],
    }

    # Back to the task list: one lead left; close it erfolgreich with a Verkaufschance.
    page.get_by_role("link", name="Meine Aufgaben").click()
    expect(page.get_by_test_id("tasks-total")).to_have_text("1 offener Lead")
    page.get_by_role("link", name="Kunde Nummer02").click()
    close = page.get_by_role("region", name="Abschließen")
    close.get_by_role("radio", name="erfolgreich").check()
    close.get_by_label("Titel der Verkaufschance (optional)").fill("Jahresvertrag Firma 02")
    value = close.get_by_label("Erwarteter Wert in € (optional)")
    value.fill("zwölf")
    close.get_by_role("button", name="Abschließen").click()
    expect(page.locator("#close-opportunity-value-error")).to_contain_text(
        "Bitte einen Betrag wie 1.500"
    )
    expect(value).to_have_attribute("aria-invalid", "true")
    value.fill("1.500,50")
    close.get_by_role("button", name="Abschließen").click()
    close.get_by_role("button", name="Ja, abschließen").click()

    notice = page.get_by_role("status").filter(has_text="abgeschlossen")
    expect(notice).to_contain_text("Der Lead wurde als erfolgreich abgeschlossen.")
    opportunity = notice.get_by_test_id("opportunity")
    expect(opportunity).to_contain_text("Jahresvertrag Firma 02")
    expect(opportunity).to_contain_text("Clara Clerk")
    expect(opportunity).to_contain_text(re.compile(r"1\.500,50\s€"))
    expect(page.get_by_test_id("lead-status")).to_have_text("Erledigt · erfolgreich")
    expect(page.get_by_test_id("history")).to_contain_text("Verkaufschance angelegt")
    screenshot(page, "lead-closed-successful", full_page=True)

    # The Verkaufschance stays on the lead after a reload.
    page.reload()
    expect(page.get_by_role("region", name="Verkaufschance")).to_contain_text(
        "Jahresvertrag Firma 02"
    )
    page.get_by_role("link", name="Meine Aufgaben").click()
    expect(page.get_by_text("Keine offenen Leads. Gut gemacht!")).to_be_visible()


def test_a_clerk_opening_another_clerks_lead_by_url_is_refused(page, seeded: Seeded):
    davids = seeded.lead_ids[2]
    assign(seeded, [davids], CLERK_DAVID)
    log_in(page, seeded, CLERK_CLARA, PASSWORD)
    expect(page).to_have_url(re.compile(r"/tasks$"))

    page.goto(f"{seeded.url}/leads/{davids}")
    expect(page.get_by_role("heading", name="Kein Zugriff")).to_be_visible()
    expect(page.get_by_test_id("lead-refused")).to_have_text(
        "Sie dürfen diesen Lead nicht öffnen. "
        "Sachbearbeiter sehen nur die Leads, die ihnen zugewiesen sind."
    )
    expect(page.get_by_text("Kunde Nummer03")).to_have_count(0)
    expect(page.get_by_role("button", name="Abschließen")).to_have_count(0)
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_test_id("lead-refused")).to_contain_text("You may not open this lead.")
    page.get_by_role("button", name="Auf Deutsch umschalten").click()
    page.get_by_role("link", name="Zurück").click()
    expect(page).to_have_url(re.compile(r"/tasks$"))

    # An ID that names no lead gets its own plain answer.
    page.goto(f"{seeded.url}/leads/does-not-exist")
    expect(page.get_by_role("heading", name="Nicht gefunden")).to_be_visible()


def test_a_manager_opens_a_lead_from_the_overview(page, seeded: Seeded):
    assign(seeded, [seeded.lead_ids[0]], CLERK_DAVID)
    log_in_as_manager(page, seeded)
    page.get_by_role("link", name=re.compile("^Aktiv")).click()
    page.get_by_role("link", name="Kunde Nummer01").click()
    expect(page).to_have_url(re.compile(r"/leads/[^/?]+$"))
    expect(page.get_by_test_id("lead-assignee")).to_have_text("David Clerk")
    # Managers may work any active lead too, and give the Verkaufschance to another clerk.
    expect(page.get_by_role("region", name="Feedback erfassen")).to_be_visible()
    close = page.get_by_role("region", name="Abschließen")
    close.get_by_role("radio", name="erfolgreich").check()
    close.get_by_label("Zuständig für die Verkaufschance").select_option(label="Clara Clerk")
    close.get_by_role("button", name="Abschließen").click()
    close.get_by_role("button", name="Ja, abschließen").click()
    opportunity = page.get_by_role("status").get_by_test_id("opportunity")
    expect(opportunity).to_contain_text("Messe Herbst 2026: Kunde Nummer01 (Firma 01 GmbH)")
    expect(opportunity).to_contain_text("Clara Clerk")
    expect(page.get_by_test_id("lead-assignee")).to_have_text("David Clerk")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/leads\?tab=active$"))
    expect(page.get_by_test_id("count-done")).to_have_text("1")
