"""Data protection in a real browser (German UI): an admin downloads a person's data export and
erases the person through the dialog (reason, confirmation); the lead page and the clerk's task
list then show "Personendaten gelöscht" and none of the old values; a manager is offered
neither; the same person entered again is refused in German until an admin lifts the
suppression on the "Bearbeiter" page; a campaign takes its retention days. On both databases."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import BACKENDS
from tests.e2e.axe import expect_no_violations
from tests.e2e.conftest import (
    BROWSER_USERS,
    CLERK_CLARA,
    PASSWORD,
    Seeded,
    _seed_leads,
    log_in,
    log_in_as_manager,
    screenshot,
)
from tests.e2e.test_distribution import fresh_postgres
from tests.e2e.test_lead_detail import assign
from tests.live_server import live_server

ADMIN = "anna.admin@test.example"
ADMIN_USER = (ADMIN, "Anna Admin", "admin", PASSWORD)
# Kunde Nummer01 as conftest._seed_leads stores the first lead's contact.
PERSON = {
    "lastName": "Nummer01",
    "company": "Firma 01 GmbH",
    "email": "kunde01@example.com",
    "phone": "+49 30 123401",
}
OTHER_PERSON_EMAIL = "kunde02@example.com"
REASON = "Anruf am 6.12.: die Person verlangt die Löschung ihrer Daten"
SUPPRESSED = (
    "Diese Person hat die Löschung ihrer Daten verlangt; sie kann erst wieder erfasst werden,"
    " wenn ein Admin die Sperre aufhebt."
)


@pytest.fixture(params=BACKENDS)
def seeded(request, tmp_path: Path) -> Iterator[Seeded]:
    """The browser tests' users and leads, and an admin; on both databases (the erasure locks
    and the suppression check differ between them)."""
    with ExitStack() as stack:
        settings = {}
        if request.param == "postgres":
            settings["LEADFLOW_DATABASE_URL"] = stack.enter_context(fresh_postgres())
        users = (*BROWSER_USERS, ADMIN_USER)
        server = stack.enter_context(live_server(tmp_path, users=users, **settings))
        yield _seed_leads(server)


def contact_of(seeded: Seeded, lead_id: str) -> dict:
    return seeded.graphql(
        """query($id: ID!) { lead(id: $id) {
          status assignee { email }
          contact { firstName lastName company email phone optedOut erasedAt }
        } }""",
        id=lead_id,
    )["lead"]


def leads_with_the_email(seeded: Seeded) -> int:
    return seeded.graphql(
        "query($search: String!) { leads(filter: { search: $search }) { totalCount } }",
        search=PERSON["email"],
    )["leads"]["totalCount"]


def expect_none_of_the_person(page) -> None:
    main = page.locator("main")
    for value in PERSON.values():
        expect(main).not_to_contain_text(value)


def erase_through_the_dialog(admin, seeded: Seeded, lead_id: str) -> None:
    admin.goto(f"{seeded.url}/leads/{lead_id}")
    facts = admin.get_by_role("region", name="Kontakt")
    facts.get_by_role("button", name="Personendaten löschen").click()
    dialog = admin.get_by_role("dialog", name="Personendaten löschen")
    dialog.get_by_label("Grund").fill(REASON)
    dialog.get_by_role("button", name="Endgültig löschen").click()
    expect(admin.get_by_role("status").filter(has_text="gelöscht")).to_have_text(
        "Die Personendaten wurden gelöscht."
    )


def test_an_admin_exports_then_erases_a_person_and_every_page_shows_the_marker(
    new_page, seeded: Seeded
):
    lead_id = seeded.lead_ids[0]  # Kunde Nummer01
    assign(seeded, [lead_id], CLERK_CLARA)

    # A manager is offered neither the export nor the erasure.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    manager.goto(f"{seeded.url}/leads/{lead_id}")
    facts = manager.get_by_role("region", name="Kontakt")
    expect(facts).to_contain_text(PERSON["email"])
    expect(facts.get_by_role("button", name="Personendaten löschen")).to_have_count(0)
    expect(facts.get_by_role("link", name="Auskunft exportieren")).to_have_count(0)

    admin = new_page()
    log_in(admin, seeded, ADMIN, PASSWORD)
    expect(admin.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    admin.goto(f"{seeded.url}/leads/{lead_id}")
    facts = admin.get_by_role("region", name="Kontakt")
    expect(facts).to_contain_text(PERSON["phone"])

    # The export before the erasure: a JSON file with the person's values and no one else's.
    with admin.expect_download() as download:
        facts.get_by_role("link", name="Auskunft exportieren").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    json.loads(exported)
    for value in PERSON.values():
        assert value in exported, (value, exported)
    assert OTHER_PERSON_EMAIL not in exported

    # The dialog names what goes and what stays, and that it cannot be undone.
    opener = facts.get_by_role("button", name="Personendaten löschen")
    opener.click()
    dialog = admin.get_by_role("dialog", name="Personendaten löschen")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Grund")).to_be_focused()
    expect(dialog.get_by_test_id("erasure-removes")).to_have_text(
        "Entfernt werden: Name, Firma, E-Mail, Telefon, Adresse, alle Notizen und Freitexte"
        " zur Person."
    )
    expect(dialog.get_by_test_id("erasure-keeps")).to_have_text(
        "Es bleiben: Leads, Ergebnisse, Gründe, Daten und Bearbeiter, damit alle Zahlen stimmen."
    )
    expect(dialog).to_contain_text("Das kann nicht rückgängig gemacht werden.")
    # Esc cancels, and the focus goes back to the button.
    admin.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()
    assert contact_of(seeded, lead_id)["contact"]["erasedAt"] is None

    # No reason: refused on the spot, nothing erased.
    opener.click()
    dialog.get_by_role("button", name="Endgültig löschen").click()
    reason = dialog.get_by_label("Grund")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    expect(dialog).to_contain_text("Bitte den Grund der Löschung angeben.")
    expect_no_violations(admin, "the erasure dialog with its refusal")
    screenshot(admin, "contact-erasure-dialog")
    assert contact_of(seeded, lead_id)["contact"]["erasedAt"] is None

    reason.fill(REASON)
    dialog.get_by_role("button", name="Endgültig löschen").click()
    expect(admin.get_by_role("status").filter(has_text="gelöscht")).to_have_text(
        "Die Personendaten wurden gelöscht."
    )
    expect(dialog).to_have_count(0)
    expect(facts.get_by_test_id("erased-badge")).to_contain_text("Personendaten gelöscht")
    expect(facts.get_by_test_id("opt-out-badge")).to_have_count(0)
    expect(facts.get_by_test_id("erased-at")).to_contain_text("Gelöscht am")
    expect(facts.get_by_role("button", name="Personendaten löschen")).to_have_count(0)
    expect(facts.get_by_role("button", name="Bearbeiten")).to_have_count(0)
    expect(facts.get_by_role("button", name="Widerspruch aufheben")).to_have_count(0)
    # The lead stays, with its clerk.
    expect(admin.get_by_test_id("lead-assignee")).to_have_text("Clara Clerk")
    expect_none_of_the_person(admin)
    expect_no_violations(admin, "the lead page of an erased person")
    screenshot(admin, "lead-contact-erased", full_page=True)
    stored = contact_of(seeded, lead_id)
    assert stored["status"] == "ACTIVE", stored
    assert stored["assignee"] == {"email": CLERK_CLARA}, stored
    assert stored["contact"]["erasedAt"], stored
    assert stored["contact"]["optedOut"] is True, stored
    assert stored["contact"]["email"] in ("", None), stored

    # The clerk's task list: the lead is still hers, marked, without the old values.
    clerk = new_page()
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    marked = clerk.get_by_role("row").filter(has=clerk.get_by_test_id("erased-badge"))
    expect(marked).to_have_count(1)
    expect(marked.get_by_test_id("erased-badge")).to_have_text(
        "Personendaten gelöscht: Die Daten dieser Person wurden auf ihr Verlangen gelöscht"
        " (DSGVO Art. 17)"
    )
    expect(marked.get_by_test_id("opt-out-badge")).to_have_count(0)
    expect_none_of_the_person(clerk)

    # The manager's lead list marks the person too.
    manager.goto(f"{seeded.url}/leads?tab=active")
    expect(
        manager.get_by_role("row").filter(has=manager.get_by_test_id("erased-badge"))
    ).to_have_count(1)
    expect_none_of_the_person(manager)


def test_the_person_entered_again_is_refused_until_an_admin_lifts_the_suppression(
    new_page, seeded: Seeded, tmp_path: Path
):
    admin = new_page()
    log_in(admin, seeded, ADMIN, PASSWORD)
    expect(admin.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    erase_through_the_dialog(admin, seeded, seeded.lead_ids[0])

    # A manager enters the same person again: refused in German, nothing stored.
    manager = new_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    manager.goto(seeded.url + "/campaigns")
    files = manager.get_by_role("region", name="Messe Herbst 2026")
    files.get_by_role("button", name="Lead hinzufügen").click()
    form = files.get_by_role("form", name="Lead hinzufügen: Messe Herbst 2026")
    form.get_by_label("Vorname").fill("Kunde")
    form.get_by_label("Nachname").fill("Nummer01")
    form.get_by_label("E-Mail").fill(PERSON["email"])
    form.get_by_label("Telefon").fill(PERSON["phone"])
    form.get_by_role("button", name="Lead anlegen").click()
    expect(form).to_contain_text(SUPPRESSED)
    expect(form.get_by_label("E-Mail")).to_have_attribute("aria-invalid", "true")
    assert leads_with_the_email(seeded) == 0

    # The trade-fair file brings the person again: the preview rejects the row in German.
    fair = tmp_path / "messe.csv"
    fair.write_text(
        "Vorname;Nachname;E-Mail;Telefon\r\n"
        f"Kunde;Nummer01;{PERSON['email']};{PERSON['phone']}\r\n"
        "Neue;Person;neue.person@example.com;\r\n",
        encoding="utf-8",
    )
    files.get_by_label("Datei hochladen (CSV)").set_input_files(fair)
    expect(files.get_by_role("heading", name="Vorschau")).to_be_visible()
    issues = files.get_by_test_id("import-issues").locator("tbody tr")
    expect(issues).to_have_count(1)
    expect(issues.get_by_role("cell")).to_have_text(
        [
            "2",
            "abgelehnt",
            "E-Mail",
            "Diese Person hat die Löschung ihrer Daten verlangt (Sperrliste): Die Zeile wurde"
            " nicht übernommen.",
        ]
    )
    expect(files.get_by_test_id("dry-run-import")).to_have_text("1")
    expect(files.get_by_test_id("dry-run-rejected")).to_have_text("1")

    # The admin lifts it on the "Bearbeiter" page (the manager has no such form there).
    admin.get_by_role("link", name="Bearbeiter").click()
    suppression = admin.get_by_role("region", name="Sperrliste")
    lift = suppression.get_by_role("button", name="Sperre aufheben")
    lift.click()
    expect(suppression.get_by_label("E-Mail")).to_have_attribute("aria-invalid", "true")
    expect(suppression).to_contain_text(
        "Bitte eine E-Mail-Adresse oder eine Telefonnummer angeben."
    )
    expect(suppression).to_contain_text("Bitte den Grund angeben")
    expect_no_violations(admin, "the suppression list form with its refusals")
    suppression.get_by_label("E-Mail").fill(PERSON["email"])
    suppression.get_by_label("Telefon").fill(PERSON["phone"])
    suppression.get_by_label("Grund").fill("Einwilligung erneut erteilt am 7.12. per E-Mail")
    lift.click()
    expect(suppression.get_by_test_id("suppression-lifted")).to_have_text("2 Einträge aufgehoben.")
    screenshot(admin, "suppression-list-lifted", full_page=True)
    manager.get_by_role("link", name="Bearbeiter").click()
    expect(manager.get_by_role("heading", name="Bearbeiter", level=1)).to_be_visible()
    expect(manager.get_by_role("region", name="Sperrliste")).to_have_count(0)

    # Now the person can be entered again.
    manager.goto(seeded.url + "/campaigns")
    files.get_by_role("button", name="Lead hinzufügen").click()
    form.get_by_label("Nachname").fill("Nummer01")
    form.get_by_label("E-Mail").fill(PERSON["email"])
    form.get_by_role("button", name="Lead anlegen").click()
    expect(files.get_by_role("status")).to_contain_text("Der Lead Nummer01 wurde angelegt.")
    assert leads_with_the_email(seeded) == 1


def test_a_campaign_takes_its_retention_days(page, seeded: Seeded):
    log_in_as_manager(page, seeded)
    expect(page.get_by_role("link", name=re.compile("^Aktiv"))).to_be_visible()
    page.goto(seeded.url + "/campaigns")
    page.get_by_role("button", name="Neue Kampagne …").click()
    form = page.get_by_role("region", name="Neue Kampagne")
    form.get_by_label("Name").fill("Messe Winter 2027")
    retention = form.get_by_label("Aufbewahrung (Tage)")
    expect(retention).to_have_accessible_description(
        "Kontakte, deren Leads alle erfolglos abgeschlossen sind, werden nach so vielen Tagen"
        " gelöscht. Leer: die Voreinstellung des Servers."
    )
    retention.fill("ein Jahr")
    form.get_by_role("button", name="Kampagne anlegen").click()
    expect(retention).to_have_attribute("aria-invalid", "true")
    expect(form).to_contain_text("Bitte eine ganze Zahl von Tagen")
    expect_no_violations(page, "the new campaign form with a refused retention")
    retention.fill("180")
    form.get_by_role("button", name="Kampagne anlegen").click()
    expect(page.get_by_role("status").filter(has_text="angelegt")).to_have_text(
        "Die Kampagne „Messe Winter 2027“ wurde angelegt."
    )
    edges = seeded.graphql("{ campaigns { edges { node { name retentionDays } } } }")["campaigns"][
        "edges"
    ]
    assert {"name": "Messe Winter 2027", "retentionDays": 180} in [
        edge["node"] for edge in edges
    ], edges
