"""Verkaufschancen in a real browser: a clerk closes a lead erfolgreich, opens the Verkaufschance
and hands it over to another clerk, who then finds it in their list."""

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
from tests.e2e.test_lead_detail import assign


def show_list(page) -> None:
    """The list view of Verkaufschancen ("Board | Liste")."""
    page.get_by_role("navigation", name="Ansicht").get_by_role("link", name="Liste").click()
    expect(page).to_have_url(re.compile(r"/opportunities\?view=list$"))


def test_a_clerk_hands_a_verkaufschance_over_to_another_clerk(new_page, seeded: Seeded):
    assign(seeded, [seeded.lead_ids[0]], CLERK_CLARA)
    clara = new_page()
    log_in(clara, seeded, CLERK_CLARA, PASSWORD)
    clara.get_by_role("link", name="Kunde Nummer01").click()
    close = clara.get_by_role("region", name="Abschließen")
    close.get_by_role("radio", name="erfolgreich").check()
    close.get_by_label("Titel der Verkaufschance (optional)").fill("Rahmenvertrag Firma 01")
    close.get_by_label("Erwarteter Wert in € (optional)").fill("2.400")
    close.get_by_role("button", name="Abschließen").click()
    close.get_by_role("button", name="Ja, abschließen").click()

    # From the lead to its Verkaufschance.
    clara.get_by_role("status").get_by_role("link", name="Rahmenvertrag Firma 01").click()
    expect(clara).to_have_url(re.compile(r"/opportunities/[^/]+$"))
    expect(clara.get_by_role("heading", name=re.compile("Rahmenvertrag Firma 01"))).to_be_visible()
    expect(clara.get_by_test_id("opportunity-owner")).to_have_text("Clara Clerk")
    facts = clara.get_by_role("region", name="Angaben")
    expect(facts).to_contain_text("Kunde Nummer01, Firma 01 GmbH")
    expect(facts).to_contain_text("Offen")
    expect(facts).to_contain_text(re.compile(r"2\.400,00\s€"))
    expect(facts.get_by_role("link", name="Lead öffnen")).to_be_visible()
    history = clara.get_by_test_id("opportunity-history")
    expect(history).to_contain_text("Verkaufschance angelegt für Clara Clerk")

    # Übergeben: without a choice the clerk is asked next to the field, then it is handed over.
    hand_over = clara.get_by_role("region", name="Übergeben")
    hand_over.get_by_role("button", name="Übergeben").click()
    owner = hand_over.get_by_label("Neuer Sachbearbeiter")
    expect(owner).to_have_attribute("aria-invalid", "true")
    expect(clara.locator("#hand-over-owner-error")).to_have_text(
        "Bitte einen Sachbearbeiter auswählen."
    )
    owner.select_option(label="David Clerk")
    hand_over.get_by_label("Notiz (optional)").fill("David kennt den Einkauf persönlich.")
    hand_over.get_by_role("button", name="Übergeben").click()
    expect(clara.get_by_role("status").filter(has_text="übergeben")).to_have_text(
        "Die Verkaufschance wurde an David Clerk übergeben."
    )
    expect(clara.get_by_test_id("opportunity-owner")).to_have_text("David Clerk")
    expect(history).to_contain_text("Von Clara Clerk an David Clerk übergeben")
    expect(history).to_contain_text("David kennt den Einkauf persönlich.")
    expect(clara.get_by_role("region", name="Übergeben")).to_have_count(0)
    screenshot(clara, "opportunity-detail", full_page=True)

    # David finds it in his Verkaufschancen.
    david = new_page()
    log_in(david, seeded, CLERK_DAVID, PASSWORD)
    expect(david).to_have_url(re.compile(r"/tasks$"))
    david.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Verkaufschancen"
    ).click()
    expect(david).to_have_url(re.compile(r"/opportunities$"))
    # The board opens first (tests/e2e/test_pipeline_board.py); the list is the second view.
    expect(david.get_by_test_id("figures-OPEN")).to_contain_text("1 Verkaufschance")
    show_list(david)
    expect(david.get_by_test_id("opportunities-total")).to_have_text("1 Verkaufschance")
    row = david.get_by_role("row", name=re.compile("Rahmenvertrag Firma 01"))
    expect(row).to_contain_text("Kunde Nummer01")
    expect(row).to_contain_text("David Clerk")
    expect(row).to_contain_text("Offen")
    expect(row).to_contain_text(re.compile(r"2\.400,00\s€"))
    david.get_by_label("Stand").select_option(label="Gewonnen")
    expect(david).to_have_url(re.compile(r"/opportunities\?stage=WON&view=list$"))
    expect(david.get_by_text("Keine Verkaufschancen für diese Auswahl.")).to_be_visible()

    # A manager picks any owner.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager).to_have_url(re.compile(r"/leads\?tab=new$"))
    manager.get_by_role("link", name="Verkaufschancen").click()
    show_list(manager)
    expect(manager.get_by_test_id("opportunities-total")).to_have_text("1 Verkaufschance")
    manager.get_by_label("Zuständig").select_option(label="Clara Clerk")
    expect(manager.get_by_text("Keine Verkaufschancen für diese Auswahl.")).to_be_visible()
    manager.get_by_label("Zuständig").select_option(label="David Clerk")
    expect(manager.get_by_role("row", name=re.compile("Rahmenvertrag Firma 01"))).to_be_visible()
