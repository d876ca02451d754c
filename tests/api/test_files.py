"""The file endpoints over real HTTP: uploading a lead file for a preview and for an import
running in the background, downloading its rejected rows and a campaign's export."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta

import httpx
import pytest

from leadflow.api.ids import decode_id, encode_id
from leadflow.app import create_app
from leadflow.auth.sessions import SESSION_COOKIE, open_session
from leadflow.db.enums import ImportStatus
from leadflow.db.models import Campaign, Contact, Lead, LeadImport
from leadflow.services import campaigns
from leadflow.settings import Settings
from tests.helpers import Actor, data_of, gql

FILE = (
    "Vorname;Nachname;E-Mail;Mobil\n"
    "Anna;Müller;anna@example.com;0171 1\n"
    "Ben;Schulz;ben@example;\n"
    "Carl;Clausen;carl@example.com;\n"
).encode("cp1252")


def bearer(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {actor.token}", "Content-Type": "text/csv"}


async def upload(
    client: httpx.AsyncClient,
    actor: Actor,
    campaign: Campaign,
    content: bytes = FILE,
    **params: str,
) -> httpx.Response:
    query = {"campaign": encode_id("Campaign", campaign.id), "fileName": "messe.csv", **params}
    return await client.post("/files/imports", params=query, content=content, headers=bearer(actor))


async def finished(import_id: str) -> LeadImport:
    """Wait for the background import to end (it runs in the app's event loop)."""
    pk = decode_id(import_id, "LeadImport", ["importId"])
    for _ in range(500):
        lead_import = await LeadImport.get(id=pk)
        if lead_import.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return lead_import
        await asyncio.sleep(0.02)
    raise AssertionError("the import did not finish")


async def test_dry_run_answers_preview_mapping_and_report_and_writes_nothing(client, actors):
    messe = await campaigns.create_campaign(actors.manager.user, "Messe")

    response = await upload(client, actors.manager, messe, dryRun="1")

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["encoding"], report["separator"]) == ("cp1252", ";")
    assert report["columns"] == [
        {"header": "Vorname", "field": "firstName"},
        {"header": "Nachname", "field": "lastName"},
        {"header": "E-Mail", "field": "email"},
        {"header": "Mobil", "field": None},
    ]
    assert report["unknownColumns"] == ["Mobil"]
    assert report["preview"][0] == ["Anna", "Müller", "anna@example.com", "0171 1"]
    assert len(report["preview"]) == 3
    assert report["counts"] == {
        "rowsRead": 3,
        "leadsCreated": 2,
        "contactsReused": 0,
        "duplicatesSkipped": 0,
        "rowsRejected": 1,
        "emptyRows": 0,
    }
    assert report["issues"] == [
        {
            "row": 3,
            "kind": "REJECTED",
            "code": "INVALID",
            "field": "email",
            "message": "'ben@example' is not a valid email address.",
        }
    ]
    assert await Lead.all().count() == 0 and await LeadImport.all().count() == 0

    mapped = await upload(
        client, actors.manager, messe, dryRun="1", mapping=json.dumps({"Mobil": "phone"})
    )
    assert mapped.json()["columns"][3] == {"header": "Mobil", "field": "phone"}
    # The names the answer uses are accepted back, as is the command line's spelling.
    renamed = await upload(
        client,
        actors.manager,
        messe,
        dryRun="1",
        mapping=json.dumps({"Vorname": "lastName", "Nachname": "first_name"}),
    )
    assert [column["field"] for column in renamed.json()["columns"][:2]] == [
        "lastName",
        "firstName",
    ]


async def test_dry_run_issues_carry_a_code_for_every_kind_of_mistake(client, actors):
    messe = await campaigns.create_campaign(actors.manager.user, "Messe")
    await upload(client, actors.manager, messe, b"Nachname;E-Mail\nOpen;open@example.com\n")
    await finished(encode_id("LeadImport", (await LeadImport.get()).id))
    text = (
        "Nachname;E-Mail;Telefon\n"
        ";a@example.com;\n"  # 2: no last name
        "Berg;;\n"  # 3: neither email nor phone
        f"Berg;b@example.com;{'9' * 101}\n"  # 4: phone too long
        "Weiß;w@example.com;0301; Nord\n"  # 5: one field too many
        "Klein;k@example.com;\n"  # 6
        "Klein;K@example.com;\n"  # 7: row 6 again
        "Open;OPEN@example.com;\n"  # 8: has an open lead in Messe
    )

    response = await upload(client, actors.manager, messe, text.encode(), dryRun="1")

    assert response.status_code == 200, response.text
    issues = response.json()["issues"]
    assert [(issue["row"], issue["kind"], issue["code"], issue["field"]) for issue in issues] == [
        (2, "REJECTED", "REQUIRED", "lastName"),
        (3, "REJECTED", "REQUIRED", "email"),
        (4, "REJECTED", "TOO_LONG", "phone"),
        (5, "REJECTED", "TOO_MANY_FIELDS", ""),
        (7, "DUPLICATE", "DUPLICATE_IN_FILE", ""),
        (8, "DUPLICATE", "DUPLICATE", ""),
    ]
    assert [issue["message"] for issue in issues] == [
        "Last name must not be empty.",
        "A lead needs an email address or a phone number to be contacted.",
        "Phone is too long (101 characters, at most 100).",
        "The row has 4 fields but the header 3: is a ';' inside a value without quotes?",
        "Same contact as row 6.",
        f"This contact already has an open lead (#{(await Lead.get()).id}) in this campaign.",
    ]


async def test_import_runs_in_the_background_and_its_rejected_rows_download(client, actors):
    messe = await campaigns.create_campaign(actors.manager.user, "Messe")

    response = await upload(client, actors.manager, messe, mapping='{"Mobil": "phone"}')

    assert response.status_code == 202, response.text
    lead_import = await finished(response.json()["importId"])
    assert lead_import.status is ImportStatus.COMPLETED
    assert (lead_import.leads_created, lead_import.rows_rejected) == (2, 1)
    assert lead_import.created_by_id == actors.manager.user.id
    assert lead_import.file_name == "messe.csv"
    assert (await Contact.get(email_key="anna@example.com")).phone == "0171 1"

    download = await client.get(
        f"/files/imports/{response.json()['importId']}/rejected.csv",
        headers=bearer(actors.manager),
    )
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="messe.rejected.csv"' in download.headers["content-disposition"]
    assert download.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    # A German file: its rows are explained in German (tests/api/test_rejected_rows_language.py).
    assert rows == [
        ["Vorname", "Nachname", "E-Mail", "Mobil", "Zeile", "Fehler"],
        ["Ben", "Schulz", "ben@example", "", "3", "Das ist keine gültige E-Mail-Adresse."],
    ]
    # Fixed and uploaded again, it maps as the original did: Zeile and Fehler are no unknown
    # columns, Mobil is (until it is mapped, as before).
    rows[1][2] = "ben@example.com"
    fixed = io.StringIO()
    csv.writer(fixed, delimiter=";").writerows(rows)
    preview = await upload(client, actors.manager, messe, fixed.getvalue().encode(), dryRun="1")
    assert preview.json()["unknownColumns"] == ["Mobil"]
    assert [column["field"] for column in preview.json()["columns"]] == [
        "firstName",
        "lastName",
        "email",
        None,
        None,
        None,
    ]
    assert (preview.json()["counts"]["leadsCreated"], preview.json()["issues"]) == (1, [])

    body = await gql(
        client,
        """query($id: ID!, $campaign: ID!) {
          leadImport(id: $id) { fileName status rowsProcessed leadsCreated rowsRejected
                                unknownColumns rejectedRowsUrl createdBy { email } }
          campaign(id: $campaign) { imports { id fileName } }
        }""",
        {"id": response.json()["importId"], "campaign": encode_id("Campaign", messe.id)},
        actor=actors.read_only_manager,
    )
    data = data_of(body)
    assert data["leadImport"] == {
        "fileName": "messe.csv",
        "status": "COMPLETED",
        "rowsProcessed": 3,
        "leadsCreated": 2,
        "rowsRejected": 1,
        "unknownColumns": [],
        "rejectedRowsUrl": f"/files/imports/{response.json()['importId']}/rejected.csv",
        "createdBy": {"email": actors.manager.user.email},
    }
    assert data["campaign"]["imports"] == [
        {"id": response.json()["importId"], "fileName": "messe.csv"}
    ]

    again = await upload(client, actors.manager, messe, mapping='{"Mobil": "phone"}')
    assert again.status_code == 202
    second = await finished(again.json()["importId"])
    assert (second.leads_created, second.duplicates_skipped) == (0, 2)


async def test_uploads_are_refused_clearly_and_change_nothing(client, actors):
    messe = await campaigns.create_campaign(actors.manager.user, "Messe")
    campaign_id = encode_id("Campaign", messe.id)
    _session, secret = await open_session(actors.manager.user, lifetime=timedelta(hours=1))
    cases = [
        (None, {"campaign": campaign_id}, FILE, 401, "UNAUTHENTICATED"),
        (actors.clerk_a, {"campaign": campaign_id}, FILE, 403, "FORBIDDEN"),
        (actors.read_only_manager, {"campaign": campaign_id}, FILE, 403, "FORBIDDEN"),
        (actors.manager, {}, FILE, 400, "REQUIRED"),
        (actors.manager, {"campaign": encode_id("Campaign", 999)}, FILE, 404, "NOT_FOUND"),
        (actors.manager, {"campaign": encode_id("Lead", messe.id)}, FILE, 400, "INVALID"),
        (actors.manager, {"campaign": campaign_id}, b"", 400, "REQUIRED"),
        (actors.manager, {"campaign": campaign_id}, b"Firma;Ort\nA;B\n", 400, "REQUIRED"),
        (actors.manager, {"campaign": campaign_id, "mapping": "[1]"}, FILE, 400, "INVALID"),
    ]
    for actor, params, content, status, code in cases:
        headers = bearer(actor) if actor else {"Content-Type": "text/csv"}
        response = await client.post(
            "/files/imports", params=params, content=content, headers=headers
        )
        assert response.status_code == status, (params, response.text)
        error = response.json()["error"]
        assert error["code"] == code and error["message"], error
    # A browser session needs the CSRF header, like every cookie-authenticated POST.
    cookie = {"Cookie": f"{SESSION_COOKIE}={secret}", "Content-Type": "text/csv"}
    refused = await client.post(
        "/files/imports", params={"campaign": campaign_id}, content=FILE, headers=cookie
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "CSRF"
    assert await LeadImport.all().count() == 0 and await Lead.all().count() == 0

    with_csrf = await client.post(
        "/files/imports",
        params={"campaign": campaign_id, "dryRun": "1"},
        content=FILE,
        headers={**cookie, "X-Leadflow-CSRF": "1"},
    )
    assert with_csrf.status_code == 200


async def test_a_file_over_the_limit_is_refused_while_it_streams(database_url, actors):
    small = create_app(Settings(database_url=database_url, max_import_bytes=2048))
    async with small.router.lifespan_context(small):
        transport = httpx.ASGITransport(app=small)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            messe = await campaigns.create_campaign(actors.manager.user, "Messe")
            big = b"Nachname;E-Mail\n" + b"Berg;berg@example.com\n" * 200
            response = await upload(http, actors.manager, messe, big)
            assert await LeadImport.all().count() == 0
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("lang", "separator", "status_word"), [("en", ",", "New"), ("de", ";", "Neu")]
)
async def test_export_downloads_the_campaign_for_excel(
    client, actors, lang, separator, status_word
):
    messe = await campaigns.create_campaign(actors.manager.user, "Messe Köln")
    await upload(client, actors.manager, messe, mapping='{"Mobil": "phone"}')
    await finished(encode_id("LeadImport", (await LeadImport.get()).id))

    response = await client.get(
        "/files/exports/leads.csv",
        params={"campaign": encode_id("Campaign", messe.id), "lang": lang, "status": "NEW"},
        headers=bearer(actors.manager),
    )

    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition == (
        "attachment; filename=\"Messe K_ln.csv\"; filename*=UTF-8''Messe%20K%C3%B6ln.csv"
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=separator))
    assert len(rows) == 3
    status = rows[0].index("Status")  # the same header in both languages
    assert {row[status] for row in rows[1:]} == {status_word}

    bad = await client.get(
        "/files/exports/leads.csv",
        params={"campaign": encode_id("Campaign", messe.id), "status": "OPEN"},
        headers=bearer(actors.manager),
    )
    assert bad.status_code == 400 and "NEW, ACTIVE or DONE" in bad.json()["error"]["message"]
    clerk = await client.get(
        "/files/exports/leads.csv",
        params={"campaign": encode_id("Campaign", messe.id)},
        headers=bearer(actors.clerk_a),
    )
    assert clerk.status_code == 403
