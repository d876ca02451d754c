"""The rejected-rows file in the language of the import, over real HTTP: a German file gets
`Zeile`, `Fehler` and German reasons (the product's texts, as the import preview shows them), an
English file the import's English messages; `?lang=` overrides the file, Accept-Language decides
only when the header names no column in either language; the German file imports again once
fixed."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from leadflow.services import campaigns
from leadflow.services.imports import rejects_language
from tests.api.test_files import bearer, finished, upload
from tests.helpers import Actor

GERMAN = (
    "Vorname;Nachname;E-Mail;Telefon\n"
    "Anna;Müller;anna@example.com;0171 1\n"
    "Ben;;ben@example.com;\n"  # row 3: no last name
    "Cora;Clausen;cora@example;\n"  # row 4: not an email
    f"Dora;Dorn;;{'1' * 101}\n"  # row 5: phone too long
    "Emil;Ernst;;\n"  # row 6: neither email nor phone
    "Fritz;Fink;fritz@example.com;0171 2;Notiz;mehr\n"  # row 7: two values beyond the header
)
GERMAN_REASONS = {
    "3": "Der Nachname fehlt.",
    "4": "Das ist keine gültige E-Mail-Adresse.",
    "5": "Telefon: Dieser Wert ist zu lang.",
    "6": "Weder E-Mail noch Telefon: Ein Lead muss erreichbar sein.",
    "7": "Die Zeile hat mehr Felder als die Kopfzeile. Steht ein Trennzeichen ohne "
    "Anführungszeichen in einem Wert? Werte nach der letzten Spalte: Notiz;mehr",
}
ENGLISH = "First name,Last name,Email\nAnna,Berg,anna@example.com\nBen,,ben@example.com\n"
# Names of neither language: the last name's column is mapped by hand.
NEUTRAL = "Name;Email\nBerg;berg@example.com\n;ben@example.com\n"


async def rejected_file(
    client: httpx.AsyncClient,
    actor: Actor,
    content: str,
    *,
    params: dict[str, str] | None = None,
    accept_language: str | None = None,
    **upload_params: str,
) -> list[list[str]]:
    campaign = await campaigns.create_campaign(actor.user, f"Sprache {len(content)} {params}")
    response = await upload(client, actor, campaign, content.encode(), **upload_params)
    assert response.status_code == 202, response.text
    await finished(response.json()["importId"])
    headers = bearer(actor)
    if accept_language is not None:
        headers["Accept-Language"] = accept_language
    download = await client.get(
        f"/files/imports/{response.json()['importId']}/rejected.csv",
        params=params or {},
        headers=headers,
    )
    assert download.status_code == 200, download.text
    text = download.content.decode("utf-8-sig")
    separator = ";" if text.splitlines()[0].count(";") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=separator)]


def reasons(rows: list[list[str]]) -> dict[str, str]:
    """Row number -> reason, from the file's last two columns."""
    row_column, error_column = len(rows[0]) - 2, len(rows[0]) - 1
    return {row[row_column]: row[error_column] for row in rows[1:]}


async def test_a_german_file_is_explained_in_german_and_imports_again(client, actors):
    # An English browser: the file's language wins over Accept-Language.
    rows = await rejected_file(client, actors.manager, GERMAN, accept_language="en-US,en")

    assert rows[0] == ["Vorname", "Nachname", "E-Mail", "Telefon", "Zeile", "Fehler"]
    assert reasons(rows) == GERMAN_REASONS
    # Row 7's surplus values follow the reason, so nothing of the row is lost.
    assert rows[-1][:4] == ["Fritz", "Fink", "fritz@example.com", "0171 2"]

    # Fixed in the spreadsheet and uploaded again: Zeile and Fehler are ignored like Row and
    # Error, every fixed row is imported.
    fixed = [row[:4] for row in rows]
    fixed[1][1] = "Bauer"
    fixed[2][2] = "cora@example.com"
    fixed[3][3] = "0171 3"
    fixed[4][3] = "0171 4"
    text = io.StringIO()
    csv.writer(text, delimiter=";").writerows(fixed)
    campaign = await campaigns.create_campaign(actors.manager.user, "Wieder")
    preview = await upload(client, actors.manager, campaign, text.getvalue().encode(), dryRun="1")
    assert preview.json()["unknownColumns"] == []
    assert (preview.json()["counts"]["leadsCreated"], preview.json()["issues"]) == (5, [])


async def test_an_english_file_keeps_the_imports_english_messages(client, actors):
    rows = await rejected_file(client, actors.manager, ENGLISH, accept_language="de-DE,de")

    assert rows == [
        ["First name", "Last name", "Email", "Row", "Error"],
        ["Ben", "", "ben@example.com", "3", "lastName: Last name must not be empty."],
    ]


async def test_the_language_asked_for_wins(client, actors):
    rows = await rejected_file(client, actors.manager, GERMAN, params={"lang": "en"})
    assert rows[0][-2:] == ["Row", "Error"]
    assert reasons(rows)["3"] == "lastName: Last name must not be empty."
    assert reasons(rows)["7"].endswith("Values beyond the last column: Notiz;mehr")

    rows = await rejected_file(client, actors.manager, ENGLISH, params={"lang": "de"})
    assert rows[0] == ["First name", "Last name", "Email", "Zeile", "Fehler"]
    assert reasons(rows) == {"3": "Der Nachname fehlt."}


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", ("Zeile", "Fehler", "Der Nachname fehlt.")),
        ("fr-FR, en;q=0.5, de;q=0.4", ("Row", "Error", "lastName: Last name must not be empty.")),
        ("fr, de;q=0", ("Row", "Error", "lastName: Last name must not be empty.")),
        (None, ("Row", "Error", "lastName: Last name must not be empty.")),
    ],
)
async def test_a_header_of_neither_language_follows_the_browser(
    client, actors, accept_language, expected
):
    rows = await rejected_file(
        client,
        actors.manager,
        NEUTRAL,
        accept_language=accept_language,
        mapping='{"Name": "lastName"}',
    )
    assert (rows[0][-2], rows[0][-1], reasons(rows)["3"]) == expected


async def test_an_unknown_language_is_refused(client, actors):
    campaign = await campaigns.create_campaign(actors.manager.user, "Messe")
    response = await upload(client, actors.manager, campaign, GERMAN.encode())
    await finished(response.json()["importId"])
    download = await client.get(
        f"/files/imports/{response.json()['importId']}/rejected.csv",
        params={"lang": "fr"},
        headers=bearer(actors.manager),
    )
    assert download.status_code == 400
    assert download.json()["error"]["field"] == ["lang"]


def test_the_language_of_a_rejects_file_is_asked_for_then_the_files_then_the_browsers():
    german, english, neutral = ["Vorname", "Nachname"], ["First name", "Last name"], ["Email"]
    assert rejects_language(german) == "de"
    assert rejects_language(english, accepted="de") == "en"
    assert rejects_language(german, requested="en", accepted="en") == "en"
    assert rejects_language(neutral, accepted="de") == "de"
    assert rejects_language(neutral) == "en"
    # A header of both languages, as many names of each: nothing to tell; so the browser.
    assert rejects_language(["Vorname", "Last name"], accepted="de") == "de"
    # Mostly German, with a stray English name and Excel's spellings.
    assert rejects_language(["STRASSE", "plz", "Ort", "Company"]) == "de"
