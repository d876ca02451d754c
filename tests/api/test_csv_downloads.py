"""Formula injection through the CSV downloads, over real HTTP: the export and the rejected-rows
file quote every cell and neutralise every place a cell can start, also when Excel reads the
file with the other list separator; both import again to the values they were written from."""

from __future__ import annotations

import csv
import io

import pytest

from leadflow.api.ids import encode_id
from leadflow.db.models import Contact, LeadImport
from leadflow.services import campaigns
from tests.api.test_files import bearer, finished, upload
from tests.spreadsheet import (
    CARL_REJECTED,
    CMD,
    HOSTILE_HEADER,
    hostile_file,
    read_safe_csv,
)


async def imported_campaign(client, actors):
    messe = await campaigns.create_campaign(actors.manager.user, "Messe")
    response = await upload(client, actors.manager, messe, hostile_file().encode())
    assert response.status_code == 202, response.text
    lead_import = await finished(response.json()["importId"])
    assert (lead_import.leads_created, lead_import.rows_rejected) == (2, 2)
    return messe, response.json()["importId"]


@pytest.mark.parametrize(("lang", "separator"), [("en", ","), ("de", ";")])
async def test_the_export_runs_no_formula_with_either_separator_and_imports_back(
    client, actors, lang, separator
):
    messe, _ = await imported_campaign(client, actors)

    response = await client.get(
        "/files/exports/leads.csv",
        params={"campaign": encode_id("Campaign", messe.id), "lang": lang},
        headers=bearer(actors.manager),
    )

    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8-sig")
    rows = read_safe_csv(text, separator)
    header = rows[0]
    by_name = {row[3]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    phone, company, city, street = (
        ("Phone", "Company", "City", "Street")
        if lang == "en"
        else ("Telefon", "Firma", "Ort", "Straße")
    )
    anna, ben = by_name["Berg"], by_name["'" + CMD]
    assert (anna[phone], anna[company], anna[city], anna[street]) == (
        "'+49 221 1",
        "x;'=1+1;y",
        "'@SUM(1+1)",
        "'-5",
    )
    assert (ben[company], ben[city], ben[street]) == ("'=2+2", "'=3+3", "Nord\n'=4+4")

    # Exported files are imported again too (another campaign, a partner's tool): the import
    # takes the marks off, so the preview shows the values as stored.
    preview = await upload(client, actors.manager, messe, response.content, dryRun="1")
    assert preview.status_code == 200, preview.text
    header = preview.json()["header"]
    values = [dict(zip(header, row, strict=True)) for row in preview.json()["preview"]]
    assert [(row[phone], row[company], row[street]) for row in values] == [
        ("+49 221 1", "x;=1+1;y", "-5"),
        ("0221 2", "=2+2", "Nord\n=4+4"),
    ]
    assert values[1][header[3]] == CMD


async def test_the_rejected_rows_run_no_formula_and_import_back_unchanged(client, actors):
    messe, import_id = await imported_campaign(client, actors)

    # In English (the file's header is German): the reasons as the import wrote them.
    download = await client.get(
        f"/files/imports/{import_id}/rejected.csv",
        params={"lang": "en"},
        headers=bearer(actors.manager),
    )

    assert download.status_code == 200, download.text
    rows = read_safe_csv(download.content.decode("utf-8-sig"), ";")
    # The file's own header goes through the same writer, as do Row and Error.
    assert rows[0] == [*HOSTILE_HEADER[:7], "'@Notiz", "Row", "Error"]
    carl, dora = rows[1], rows[2]
    assert carl == CARL_REJECTED
    assert dora[:9] == ["Dora", "Dorn", "dora@example.com", "", "", "", "", "", "5"]
    assert dora[9].endswith("Values beyond the last column: =8+8;'@9")

    # Fixed in the file and uploaded again: every other value arrives as it was first sent.
    carl[2] = "carl@example.com"
    fixed = io.StringIO()
    csv.writer(fixed, delimiter=";").writerows(rows)  # as Excel saves it: quoted where needed
    again = await upload(client, actors.manager, messe, fixed.getvalue().encode())
    assert again.status_code == 202, again.text
    lead_import = await finished(again.json()["importId"])
    assert (lead_import.leads_created, lead_import.rows_rejected) == (2, 0)
    contact = await Contact.get(email_key="carl@example.com")
    assert (contact.last_name, contact.phone, contact.company, contact.city, contact.street) == (
        CMD,
        "+49 221 1",
        "x,@1;y",
        "@SUM(1+1)",
        "=6+6",  # the tab is white space, stripped as in the first import
    )
    assert await LeadImport.all().count() == 2
