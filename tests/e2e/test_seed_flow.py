"""The seed's whole flow (../shared/seed/leads-de.txt) in one German story: a manager distributes
new leads, the clerk works them off her task list, and the manager sees Neu/Aktiv/Erledigt move."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import (
    CLERK_CLARA,
    LEAD_COUNT,
    PASSWORD,
    Seeded,
    log_in,
    log_in_as_manager,
)
from tests.e2e.test_opportunities import show_list

PICKED = ["Kunde Nummer30", "Kunde Nummer29", "Kunde Nummer28"]


def count(page, tab: str):
    return page.get_by_test_id(f"count-{tab}")


def lead_rows(page):
    return page.locator("tbody tr")


def tab(page, name: str):
    return page.get_by_role("navigation", name="Status").get_by_role(
        "link", name=re.compile(f"^{name}")
    )


def expect_counts(page, new: int, active: int, done: int) -> None:
    expect(count(page, "new")).to_have_text(str(new))
    expect(count(page, "active")).to_have_text(str(active))
    expect(count(page, "done")).to_have_text(str(done))


def test_the_seed_flow_from_new_lead_to_handed_over_verkaufschance(new_page, seeded: Seeded):
    # The manager logs in and lands on the overview of the leads.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager).to_have_url(re.compile(r"/leads\?tab=new$"))
    expect(manager.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    expect(manager.get_by_text("Angemeldet als Live Manager")).to_be_visible()
    expect_counts(manager, new=LEAD_COUNT, active=0, done=0)

    # 1. Filter "Neu": the leads no clerk has yet.
    tab(manager, "Neu").click()
    expect(tab(manager, "Neu")).to_have_attribute("aria-current", "page")
    expect(lead_rows(manager).first).to_contain_text("Kunde Nummer30")
    expect(lead_rows(manager).first).to_contain_text("Messe Herbst 2026")
    expect(lead_rows(manager).first.get_by_role("cell").nth(4)).to_have_text("—")

    # 2. Select three leads and "An Bearbeiter verteilen".
    for name in PICKED:
        manager.get_by_label(f"{name} auswählen").check()
    expect(manager.get_by_text("3 Leads ausgewählt")).to_be_visible()
    manager.get_by_role("button", name="An Bearbeiter verteilen").click()

    # 3. Pick a clerk from the list and confirm.
    dialog = manager.get_by_role("dialog", name="An Bearbeiter verteilen")
    expect(dialog).to_contain_text("3 Leads an einen Sachbearbeiter verteilen.")
    clara = dialog.get_by_role("radio", name=re.compile("Clara Clerk"))
    expect(clara).not_to_be_checked()
    clara.check()
    dialog.get_by_role("button", name="Verteilen").click()
    expect(dialog).to_have_count(0)
    expect(manager.get_by_role("status").filter(has_text="verteilt")).to_have_text(
        "3 Leads wurden an Clara Clerk verteilt."
    )
    expect_counts(manager, new=LEAD_COUNT - 3, active=3, done=0)
    for name in PICKED:
        expect(manager.get_by_label(f"{name} auswählen")).to_have_count(0)
    expect(manager.get_by_text("0 Leads ausgewählt")).to_be_visible()

    # The clerk logs in and lands on her task list with exactly those three leads.
    clerk = new_page()
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    expect(clerk).to_have_url(re.compile(r"/tasks$"))
    expect(clerk.get_by_role("heading", name="Meine Aufgaben")).to_be_visible()
    expect(clerk.get_by_test_id("tasks-total")).to_have_text("3 offene Leads")
    expect(lead_rows(clerk)).to_have_count(3)
    for name in PICKED:
        expect(clerk.get_by_role("row", name=re.compile(name))).to_contain_text("Messe Herbst 2026")

    # She opens one, records the contact's feedback, and closes it "erfolglos" with a reason.
    clerk.get_by_role("link", name="Kunde Nummer28").click()
    expect(clerk.get_by_role("heading", name=re.compile("Kunde Nummer28"))).to_be_visible()
    expect(clerk.get_by_test_id("lead-status")).to_have_text("Aktiv")
    expect(clerk.get_by_test_id("lead-assignee")).to_have_text("Clara Clerk")
    feedback = clerk.get_by_role("region", name="Feedback erfassen")
    feedback.get_by_label("Kanal").select_option(label="E-Mail")
    feedback.get_by_label("Notiz").fill("Antwort per Mail: kein Bedarf in diesem Jahr.")
    feedback.get_by_role("button", name="Feedback speichern").click()
    expect(clerk.get_by_role("status").filter(has_text="gespeichert")).to_have_text(
        "Das Feedback wurde gespeichert."
    )
    log = clerk.get_by_test_id("feedback-log")
    expect(log).to_contain_text("Antwort per Mail: kein Bedarf in diesem Jahr.")
    expect(log).to_contain_text("E-Mail · Clara Clerk")

    close = clerk.get_by_role("region", name="Abschließen")
    close.get_by_role("radio", name="erfolglos").check()
    close.get_by_label("Grund").select_option(label="Kein Interesse")
    close.get_by_role("button", name="Abschließen").click()
    close.get_by_role("button", name="Ja, abschließen").click()
    expect(clerk.get_by_role("status").filter(has_text="abgeschlossen")).to_have_text(
        "Der Lead wurde als erfolglos abgeschlossen."
    )
    expect(clerk.get_by_test_id("lead-status")).to_have_text("Erledigt · erfolglos")
    expect(clerk.get_by_test_id("history")).to_contain_text(
        "Abgeschlossen: erfolglos (Kein Interesse)"
    )

    # Back on the list: two left. The next contact is interested: "erfolgreich".
    clerk.get_by_role("link", name="Meine Aufgaben").click()
    expect(clerk.get_by_test_id("tasks-total")).to_have_text("2 offene Leads")
    expect(clerk.get_by_role("link", name="Kunde Nummer28")).to_have_count(0)
    clerk.get_by_role("link", name="Kunde Nummer29").click()
    feedback = clerk.get_by_role("region", name="Feedback erfassen")
    feedback.get_by_label("Kanal").select_option(label="Telefon")
    feedback.get_by_label("Notiz").fill("Interessiert, möchte ein Angebot für 20 Lizenzen.")
    feedback.get_by_role("button", name="Feedback speichern").click()
    expect(clerk.get_by_test_id("feedback-log")).to_contain_text("Telefon · Clara Clerk")

    close = clerk.get_by_role("region", name="Abschließen")
    close.get_by_role("radio", name="erfolgreich").check()
    close.get_by_label("Titel der Verkaufschance (optional)").fill("Angebot 20 Lizenzen")
    close.get_by_label("Erwarteter Wert in € (optional)").fill("4.800")
    close.get_by_role("button", name="Abschließen").click()
    close.get_by_role("button", name="Ja, abschließen").click()
    notice = clerk.get_by_role("status").filter(has_text="abgeschlossen")
    expect(notice).to_contain_text("Der Lead wurde als erfolgreich abgeschlossen.")
    created = notice.get_by_test_id("opportunity")
    expect(created).to_contain_text("Clara Clerk")
    expect(created).to_contain_text(re.compile(r"4\.800,00\s€"))
    expect(clerk.get_by_test_id("lead-status")).to_have_text("Erledigt · erfolgreich")
    expect(clerk.get_by_test_id("history")).to_contain_text("Verkaufschance angelegt")

    # She opens the Verkaufschance and hands it to a colleague ("Übergeben") with a note.
    created.get_by_role("link", name="Angebot 20 Lizenzen").click()
    expect(clerk).to_have_url(re.compile(r"/opportunities/[^/]+$"))
    expect(clerk.get_by_role("heading", name=re.compile("Angebot 20 Lizenzen"))).to_be_visible()
    expect(clerk.get_by_test_id("opportunity-owner")).to_have_text("Clara Clerk")
    facts = clerk.get_by_role("region", name="Angaben")
    expect(facts).to_contain_text("Kunde Nummer29, Firma 29 GmbH")
    expect(facts).to_contain_text("Offen")
    hand_over = clerk.get_by_role("region", name="Übergeben")
    hand_over.get_by_label("Neuer Sachbearbeiter").select_option(label="David Clerk")
    hand_over.get_by_label("Notiz (optional)").fill("Bitte Angebot bis Freitag schicken.")
    hand_over.get_by_role("button", name="Übergeben").click()
    expect(clerk.get_by_role("status").filter(has_text="übergeben")).to_have_text(
        "Die Verkaufschance wurde an David Clerk übergeben."
    )
    expect(clerk.get_by_test_id("opportunity-owner")).to_have_text("David Clerk")
    history = clerk.get_by_test_id("opportunity-history")
    expect(history).to_contain_text("Von Clara Clerk an David Clerk übergeben")
    expect(history).to_contain_text("Bitte Angebot bis Freitag schicken.")

    # Her list keeps the one lead she has not closed.
    clerk.get_by_role("link", name="Meine Aufgaben").click()
    expect(clerk.get_by_test_id("tasks-total")).to_have_text("1 offener Lead")
    expect(lead_rows(clerk)).to_have_count(1)
    expect(lead_rows(clerk).first).to_contain_text("Kunde Nummer30")

    # The manager's overview: 27 Neu, 1 Aktiv, 2 Erledigt, each tab listing what it counts.
    tab(manager, "Aktiv").click()
    expect(manager).to_have_url(re.compile(r"/leads\?tab=active$"))
    expect_counts(manager, new=LEAD_COUNT - 3, active=1, done=2)
    expect(lead_rows(manager)).to_have_count(1)
    expect(lead_rows(manager).first).to_contain_text("Kunde Nummer30")
    expect(lead_rows(manager).first).to_contain_text("Clara Clerk")

    tab(manager, "Erledigt").click()
    expect(manager).to_have_url(re.compile(r"/leads\?tab=done$"))
    expect(lead_rows(manager)).to_have_count(2)
    for name in ("Kunde Nummer28", "Kunde Nummer29"):
        expect(manager.get_by_role("row", name=re.compile(name))).to_contain_text("Clara Clerk")

    tab(manager, "Neu").click()
    expect(manager.get_by_role("button", name="An Bearbeiter verteilen")).to_be_disabled()
    expect(lead_rows(manager).first).to_contain_text("Kunde Nummer27")
    expect(manager.get_by_text("Seite 1 von 2")).to_be_visible()

    # The Verkaufschance is David's now, in the manager's list too.
    manager.get_by_role("link", name="Verkaufschancen").click()
    show_list(manager)
    row = manager.get_by_role("row", name=re.compile("Angebot 20 Lizenzen"))
    expect(row).to_contain_text("Kunde Nummer29")
    expect(row).to_contain_text("David Clerk")
    expect(row).to_contain_text("Offen")
