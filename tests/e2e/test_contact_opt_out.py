"""Consent in a real browser (German UI): a clerk records a person's objection to being
contacted on the lead page, the "Widerspruch" marker shows on the lead page and in the clerk's
task list, planning a call is refused in German, and a manager lifts the objection."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.axe import expect_no_violations
from tests.e2e.conftest import (
    CLERK_CLARA,
    PASSWORD,
    Seeded,
    log_in,
    log_in_as_manager,
    screenshot,
)
from tests.e2e.test_lead_detail import assign

OBJECTION = "Die Person hat der Kontaktaufnahme widersprochen"


def contact_consent(seeded: Seeded, lead_id: str) -> dict:
    return seeded.graphql(
        """query($id: ID!) { lead(id: $id) {
          contact { optedOut optedOutAt optedOutNote }
          activities { kind }
        } }""",
        id=lead_id,
    )["lead"]


def test_a_clerk_records_an_objection_calls_are_refused_and_a_manager_lifts_it(
    new_page, seeded: Seeded
):
    lead_id = seeded.lead_ids[0]  # Kunde Nummer01
    assign(seeded, [lead_id], CLERK_CLARA)
    clerk = new_page()
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    tasks_row = clerk.get_by_role("row").filter(has_text="Kunde Nummer01")
    expect(tasks_row).to_be_visible()
    expect(tasks_row.get_by_test_id("opt-out-badge")).to_have_count(0)
    clerk.get_by_role("link", name="Kunde Nummer01").click()
    expect(clerk.get_by_role("heading", name=re.compile("Kunde Nummer01"))).to_be_visible()

    # The clerk records the objection with a note; the card shows the marker, date and note.
    facts = clerk.get_by_role("region", name="Kontakt")
    expect(facts.get_by_test_id("opt-out-badge")).to_have_count(0)
    facts.get_by_role("button", name="Widerspruch erfassen").click()
    form = facts.get_by_role("form", name="Widerspruch erfassen")
    note = form.get_by_label("Notiz (optional)")
    expect(note).to_be_focused()
    note.fill("Am Telefon: bitte keine Anrufe mehr.")
    form.get_by_role("button", name="Widerspruch speichern").click()
    expect(clerk.get_by_role("status").filter(has_text="Widerspruch")).to_have_text(
        "Der Widerspruch wurde gespeichert."
    )
    badge = facts.get_by_test_id("opt-out-badge")
    expect(badge).to_be_visible()
    expect(badge).to_have_attribute("title", OBJECTION)
    expect(facts.get_by_test_id("opt-out")).to_contain_text("Widerspruch erfasst am")
    expect(facts.get_by_test_id("opt-out-note")).to_contain_text(
        "Am Telefon: bitte keine Anrufe mehr."
    )
    expect(clerk.get_by_test_id("contact-history")).to_contain_text("Widerspruch erfasst")
    # Lifting it is for managers and admins only.
    expect(facts.get_by_role("button", name="Widerspruch aufheben")).to_have_count(0)
    stored = contact_consent(seeded, lead_id)["contact"]
    assert stored["optedOut"] is True, stored
    assert stored["optedOutNote"] == "Am Telefon: bitte keine Anrufe mehr.", stored
    assert stored["optedOutAt"], stored

    # Planning a call: warned before sending, no override for a clerk, refused in German.
    plan = clerk.get_by_role("form", name="Nächster Schritt planen")
    expect(plan.get_by_label("Art")).to_have_value("CALL")
    expect(plan.get_by_test_id("plan-opt-out-warning")).to_contain_text(
        "Die Person hat der Kontaktaufnahme widersprochen"
    )
    expect(plan.get_by_label("Widerspruch übergehen (wird protokolliert)")).to_have_count(0)
    plan.get_by_role("button", name="Morgen").click()
    plan.get_by_role("button", name="Planen").click()
    expect(clerk.locator("#plan-kind-error")).to_have_text(
        "Die Person hat der Kontaktaufnahme widersprochen: Anrufe und E-Mails können nicht"
        " geplant werden."
    )
    expect(plan.get_by_label("Art")).to_have_attribute("aria-invalid", "true")
    expect_no_violations(clerk, "the lead page of a contact who objected, a call refused")
    screenshot(clerk, "lead-opt-out-call-refused", full_page=True)
    assert contact_consent(seeded, lead_id)["activities"] == []
    # A meeting is no contact by phone or e-mail: no warning.
    plan.get_by_label("Art").select_option("MEETING")
    expect(plan.get_by_test_id("plan-opt-out-warning")).to_have_count(0)

    # The marker in the clerk's task list.
    clerk.get_by_role("link", name="Meine Aufgaben").click()
    expect(tasks_row.get_by_test_id("opt-out-badge")).to_have_text(f"Widerspruch: {OBJECTION}")

    # The manager sees the override, and lifts the objection with a note.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    manager.goto(f"{seeded.url}/leads/{lead_id}")
    facts = manager.get_by_role("region", name="Kontakt")
    expect(facts.get_by_test_id("opt-out-badge")).to_be_visible()
    plan = manager.get_by_role("form", name="Nächster Schritt planen")
    expect(plan.get_by_label("Widerspruch übergehen (wird protokolliert)")).not_to_be_checked()
    facts.get_by_role("button", name="Widerspruch aufheben").click()
    lift = facts.get_by_role("form", name="Widerspruch aufheben")
    lift.get_by_label("Notiz (optional)").fill("Einwilligung erneut erteilt am 6.12. per E-Mail.")
    lift.get_by_role("button", name="Widerspruch aufheben").click()
    expect(manager.get_by_role("status").filter(has_text="Widerspruch")).to_have_text(
        "Der Widerspruch wurde aufgehoben."
    )
    expect(facts.get_by_test_id("opt-out-badge")).to_have_count(0)
    expect(facts.get_by_role("button", name="Widerspruch erfassen")).to_be_visible()
    expect(plan.get_by_test_id("plan-opt-out-warning")).to_have_count(0)
    assert contact_consent(seeded, lead_id)["contact"]["optedOut"] is False
