"""Lead files on the campaign page in a real browser: a manager uploads a messy Excel CSV, sees
the preview and the column mapping before anything is written, maps an unknown column, imports,
follows the progress to the final counts, downloads the rejected rows, finds the import in the
campaign's list and downloads the campaign's export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import Seeded, log_in_as_manager, screenshot

CAMPAIGN = "Hausmesse Köln"
FILE_NAME = "messe-leads.csv"
# As Excel writes it on a German Windows: Windows-1252, ';'. Row 1 is the header.
#   2 a new contact; 3 a broken email (rejected); 4 a new contact; 5 empty;
#   6 the contact of row 2 again (duplicate); 7 only a phone number, in the column "Mobil" that
#   the import does not know: rejected unless "Mobil" is mapped to Telefon.
# "Notiz" is unknown too, and stays out.
MESSY_CSV = (
    "Vorname;Nachname;E-Mail;Mobil;Notiz\r\n"
    "Jürgen;Müller;juergen@example.com;0171 111;Rückruf erwünscht\r\n"
    "Käthe;Schäfer;kaethe@example;0171 222;\r\n"
    "Özlem;Öztürk;oezlem@example.com;;Katalog\r\n"
    ";;;;\r\n"
    "Jürgen;Müller;juergen@example.com;0171 111;\r\n"
    "Björn;Groß;;0171 333;Preise in €\r\n"
)
BROKEN_CSV = "Name;Ort\r\nAnna;Köln\r\n"


def create_campaign(seeded: Seeded, name: str) -> str:
    payload = seeded.graphql(
        """mutation($input: CreateCampaignInput!) {
          createCampaign(input: $input) { campaign { id } userErrors { message } }
        }""",
        input={"name": name},
    )["createCampaign"]
    assert payload["userErrors"] == [], payload
    return payload["campaign"]["id"]


def dry_run_counts(region) -> dict[str, str]:
    names = ["rows", "import", "duplicates", "rejected", "empty"]
    return {name: region.get_by_test_id(f"dry-run-{name}").inner_text() for name in names}


def read_csv(raw: bytes) -> list[list[str]]:
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]  # a BOM, so that Excel reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_a_manager_previews_maps_imports_and_downloads(page, seeded: Seeded, tmp_path: Path):
    campaign_id = create_campaign(seeded, CAMPAIGN)
    messy = tmp_path / FILE_NAME
    messy.write_bytes(MESSY_CSV.encode("cp1252"))
    broken = tmp_path / "kaputt.csv"
    broken.write_bytes(BROKEN_CSV.encode("cp1252"))

    log_in_as_manager(page, seeded)
    expect(page).to_have_url(re.compile(r"/leads\?tab=new$"))
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Kampagnen"
    ).click()
    expect(page).to_have_url(re.compile(r"/campaigns$"))
    region = page.get_by_role("region", name=CAMPAIGN)
    expect(region.get_by_role("heading", name="Import", exact=True)).to_be_visible()
    expect(region.get_by_text("Noch keine Importe.")).to_be_visible()
    file_input = region.get_by_label("Datei hochladen (CSV)")

    # A file the import cannot use: the reason in plain words, next to the file input.
    file_input.set_input_files(broken)
    problem = region.get_by_role("alert")
    expect(problem).to_contain_text("Der Datei fehlt eine nötige Spalte")
    expect(file_input).to_have_attribute("aria-invalid", "true")
    expect(region.get_by_role("button", name="Importieren")).to_have_count(0)

    # The messy file: a preview, before anything is written.
    file_input.set_input_files(messy)
    expect(region.get_by_role("heading", name="Vorschau")).to_be_visible()
    expect(region.get_by_role("alert")).to_have_count(0)
    expect(region.get_by_test_id("import-detected")).to_have_text(
        "Erkannt: Zeichensatz Windows-1252 (Excel unter Windows), Trennzeichen Semikolon (;)."
    )
    preview = region.get_by_test_id("import-preview")
    expect(preview.get_by_role("columnheader")).to_have_text(
        [
            re.compile(r"^Vorname"),
            re.compile(r"^Nachname"),
            re.compile(r"^E-Mail"),
            re.compile(r"^Mobil"),
            re.compile(r"^Notiz"),
        ]
    )
    expect(preview.locator("tbody tr")).to_have_count(5)  # the first five rows
    expect(preview.locator("tbody tr").first.get_by_role("cell")).to_have_text(
        ["Jürgen", "Müller", "juergen@example.com", "0171 111", "Rückruf erwünscht"]
    )
    # One select per column; the two unknown columns are marked as such.
    mapping = region.get_by_role("group", name="Spaltenzuordnung")
    expect(mapping.get_by_role("combobox")).to_have_count(5)
    expect(mapping.get_by_label("Vorname", exact=True)).to_have_value("firstName")
    expect(mapping.get_by_label("E-Mail", exact=True)).to_have_value("email")
    mobile = mapping.get_by_label("Mobil", exact=True)
    note = mapping.get_by_label("Notiz", exact=True)
    for unknown in (mobile, note):
        expect(unknown).to_have_value("")
        expect(unknown).to_have_accessible_description("unbekannte Spalte")
    expect(mapping.get_by_text("unbekannte Spalte")).to_have_count(2)
    assert dry_run_counts(region) == {
        "rows": "6",
        "import": "2",
        "duplicates": "1",
        "rejected": "2",
        "empty": "1",
    }
    # Each reason in German, by its code and field (the server's words are English).
    issues = region.get_by_test_id("import-issues").locator("tbody tr")
    expect(issues).to_have_count(3)
    expect(issues.nth(0).get_by_role("cell")).to_have_text(
        ["3", "abgelehnt", "E-Mail", "Das ist keine gültige E-Mail-Adresse."]
    )
    expect(issues.nth(1).get_by_role("cell")).to_have_text(
        ["6", "doppelt", "", "Derselbe Kontakt steht schon weiter oben in der Datei."]
    )
    expect(issues.nth(2).get_by_role("cell")).to_have_text(
        [
            "7",
            "abgelehnt",
            "E-Mail",
            "Weder E-Mail noch Telefon: Ein Lead muss erreichbar sein.",
        ]
    )

    # "Mobil" is the phone number: the dry run runs again with the mapping.
    mobile.select_option(label="Telefon")
    expect(region.get_by_test_id("dry-run-import")).to_have_text("3")
    expect(region.get_by_test_id("dry-run-rejected")).to_have_text("1")
    expect(mobile).to_have_value("phone")
    expect(mobile).not_to_have_accessible_description("unbekannte Spalte")
    expect(note).to_have_accessible_description("unbekannte Spalte")
    expect(mapping.get_by_text("unbekannte Spalte")).to_have_count(1)
    expect(preview.get_by_role("columnheader").nth(3)).to_have_text("Mobil→ Telefon")
    region.get_by_role("heading", name="Vorschau").evaluate(
        "heading => heading.scrollIntoView({ block: 'start' })"
    )
    screenshot(page, "import-preview")
    # Two columns for one field are refused before asking the server.
    note.select_option(label="Telefon")
    expect(region.get_by_role("alert")).to_have_text(
        "Zwei Spalten sind „Telefon“ zugeordnet. Bitte eine davon ändern."
    )
    expect(region.get_by_role("button", name="Importieren")).to_be_disabled()
    note.select_option(label="nicht importieren")
    expect(region.get_by_role("alert")).to_have_count(0)
    expect(region.get_by_test_id("dry-run-import")).to_have_text("3")
    # Still nothing written.
    leads = seeded.graphql(
        "query($id: ID!) { campaign(id: $id) { stats { total } imports { id } } }", id=campaign_id
    )["campaign"]
    assert leads == {"stats": {"total": 0}, "imports": []}

    # Import, by keyboard.
    start = region.get_by_role("button", name="Importieren")
    expect(start).to_be_enabled()
    start.focus()
    page.keyboard.press("Enter")
    progress = region.get_by_test_id("import-progress")
    expect(progress.get_by_role("status")).to_have_text(
        "Import abgeschlossen: 6 Zeilen verarbeitet."
    )
    bar = progress.locator("progress")
    expect(bar).to_have_attribute("value", "6")
    expect(bar).to_have_attribute("max", "6")
    expect(progress.get_by_test_id("import-created")).to_have_text("3")
    expect(progress.get_by_test_id("import-duplicates")).to_have_text("1")
    expect(progress.get_by_test_id("import-rejected")).to_have_text("1")
    expect(progress.get_by_test_id("import-empty")).to_have_text("1")
    expect(region.get_by_role("heading", name="Vorschau")).to_have_count(0)

    # The rejected rows, with their reasons, to fix and import again.
    with page.expect_download() as rejected_download:
        progress.get_by_role("link", name="abgelehnte Zeilen herunterladen").click()
    rejected = rejected_download.value
    assert rejected.suggested_filename == "messe-leads.rejected.csv"
    assert read_csv(Path(rejected.path()).read_bytes()) == [
        # A German file is explained in German (the file's language decides).
        ["Vorname", "Nachname", "E-Mail", "Mobil", "Notiz", "Zeile", "Fehler"],
        [
            "Käthe",
            "Schäfer",
            "kaethe@example",
            "0171 222",
            "",
            "3",
            "Das ist keine gültige E-Mail-Adresse.",
        ],
    ]

    # The campaign's list of imports and its figures are up to date.
    history = region.get_by_test_id("import-history")
    row = history.get_by_role("row", name=re.compile(FILE_NAME))
    expect(row.get_by_role("cell")).to_have_text(
        [
            "Live Manager",
            re.compile(r"\d{4}"),
            "abgeschlossen",
            "6",
            "3",
            "1",
            "1",
            "1",
            "abgelehnte Zeilen herunterladen",
        ]
    )
    figures = page.get_by_test_id("campaign-row").filter(has_text=CAMPAIGN).get_by_role("cell")
    expect(figures.first).to_have_text("3")  # Leads

    # The export: every lead of the campaign, German columns, for Excel.
    export = region.get_by_role("link", name="Export herunterladen (CSV)")
    expect(export).to_have_attribute(
        "href", f"/files/exports/leads.csv?campaign={campaign_id.replace('=', '%3D')}&lang=de"
    )
    with page.expect_download() as export_download:
        export.click()
    exported = read_csv(Path(export_download.value.path()).read_bytes())
    assert export_download.value.suggested_filename == f"{CAMPAIGN}.csv"
    header = exported[0]
    assert header[:4] == ["Lead-Nr.", "Anrede", "Vorname", "Nachname"]
    by_name = {row[header.index("Nachname")]: row for row in exported[1:]}
    assert sorted(by_name) == ["Groß", "Müller", "Öztürk"]
    assert by_name["Groß"][header.index("Telefon")] == "0171 333"
    assert {row[header.index("Status")] for row in exported[1:]} == {"Neu"}
    assert {row[header.index("Kampagne")] for row in exported[1:]} == {CAMPAIGN}

    # Only the leads of one status: none of them is done yet.
    region.get_by_label("Status", exact=True).select_option(label="Erledigt")
    expect(export).to_have_attribute("href", re.compile(r"&status=DONE$"))
    with page.expect_download() as done_download:
        export.click()
    assert read_csv(Path(done_download.value.path()).read_bytes())[1:] == []
