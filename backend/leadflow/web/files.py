"""HTTP endpoints for lead files, next to GraphQL (which carries no file bodies):

- `POST /files/imports?campaign=<id>[&dryRun=1][&fileName=..][&mapping=<json>]`: the CSV file
  as the raw body. A dry run answers the report with a preview of the first rows, the
  column mapping and the first issues (`{row, kind, code, field, message}`, `code` one of
  `ImportIssueCode`); otherwise the import starts in the background and the answer (202)
  names it, so the web app can follow its progress through GraphQL (`leadImport`).
- `GET /files/imports/<id>/rejected.csv[?lang=de]`: the rejected rows of an import, to fix and
  re-import (the file's columns, then `Row` and `Error` or `Zeile` and `Fehler`), in the language
  asked for, else the language of the file's header, else Accept-Language's
  (`imports.rejects_language`).
- `GET /files/exports/leads.csv[?campaign=<id>][&status=NEW,ACTIVE][&assignee=<id>][&search=..]
  [&outcome=..][&reason=..][&createdAfter=..][&createdBefore=..][&timeZone=..][&lang=de]`:
  exactly the leads of the lead list under that filter (`web/export_query.py`), with status,
  outcome and feedback, for Excel (UTF-8 with BOM; `;` with lang=de).
- `GET /files/contacts/<id>/export.json`: everything stored about one person (DSGVO Art. 15),
  the document of GraphQL's `contactDataExport` (`services/privacy/export.py`). Admins, and
  managers when LEADFLOW_CONTACT_EXPORT_MANAGERS is set; each download is audited.

Authentication and CSRF as for every route (`web/access.py`); the downloads may be started by a
link. Errors in the web layer's shape, with `field`; every refusal of an authenticated caller
(403) goes to the audit log, as over GraphQL. Lead files are for managers
(`services/lead_files.py`); a person's export has its own rule.

Web imports take turns (`ImportQueue`, in `jobs.BackgroundWork`): at most
LEADFLOW_IMPORT_CONCURRENCY run at once per process, the others wait as QUEUED; the upload is
answered as soon as its import is recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from leadflow import i18n
from leadflow.api.ids import decode_id, encode_id
from leadflow.errors import DomainError, ErrorCode
from leadflow.jobs import BackgroundWork
from leadflow.services import imports
from leadflow.services.import_files import FIELD_LABELS
from leadflow.services.lead_files import ImportPreview, LeadFiles, lead_files_of
from leadflow.services.privacy import export as contact_export
from leadflow.settings import Settings
from leadflow.web.access import signed_in
from leadflow.web.bodies import body_chunks
from leadflow.web.client import client_address
from leadflow.web.endpoints import Handler, endpoint
from leadflow.web.errors import HttpError
from leadflow.web.export_query import export_query

log = logging.getLogger("leadflow.files")
PREVIEW_ROWS = 5
REPORTED_ISSUES = 200


def file_routes(settings: Settings, work: BackgroundWork) -> list[Route]:
    """The file endpoints; web imports run in `work`, in turns of its import queue."""

    async def upload(request: Request) -> Response:
        return await _upload(request, settings, work)

    def route(path: str, handler: Handler, method: str) -> Route:
        return Route(path, endpoint(handler, with_field=True, audited=True), methods=[method])

    return [
        route("/files/imports", upload, "POST"),
        route("/files/imports/{id}/rejected.csv", _rejected_rows, "GET"),
        route("/files/exports/leads.csv", _export, "GET"),
        route("/files/contacts/{id}/export.json", _contact_export, "GET"),
    ]


async def _lead_files(request: Request, *, writes: bool) -> LeadFiles:
    auth = await signed_in(request, links=not writes, writes=writes)
    return lead_files_of(auth.user)


# ---------------------------------------------------------------------------------------------
# Upload


async def _upload(request: Request, settings: Settings, work: BackgroundWork) -> Response:
    files = await _lead_files(request, writes=True)
    campaign = await files.campaign(_campaign_id(request))
    dry_run = request.query_params.get("dryRun", "") in ("1", "true")
    mapping = _mapping(request.query_params.get("mapping"))
    file_name = (request.query_params.get("fileName") or "upload.csv").strip()[:200]
    file = imports.ImportFile(
        await _receive(request, settings.max_import_bytes), file_name, mapping
    )
    if dry_run:
        try:
            preview = await files.preview(campaign, file, PREVIEW_ROWS)
        finally:
            file.path.unlink(missing_ok=True)
        return JSONResponse(_preview_json(preview))
    try:
        started = await files.start_import(campaign, file)
    except BaseException:
        file.path.unlink(missing_ok=True)
        raise
    work.spawn(_run_import(started, work), f"leadflow-import-{started.lead_import.id}")
    return JSONResponse(
        {
            "importId": encode_id("LeadImport", started.lead_import.id),
            "resumedAfterRow": started.report.resumed_after_row,
        },
        status_code=202,
    )


async def _run_import(started: imports.StartedImport, work: BackgroundWork) -> None:
    """In the background, in its turn; a failure is recorded with the import (FAILED)."""
    name = started.file.name
    try:
        await imports.run(started, queue=work.import_queue)
    except imports.ImportStopped:
        log.warning("Import of %s stopped by shutdown; it resumes later", name)
    except asyncio.CancelledError:
        log.warning("Import of %s cancelled by shutdown; it resumes later", name)
        raise
    except Exception:
        log.exception("Import of %s into campaign %s failed", name, started.campaign.id)
    finally:
        started.file.path.unlink(missing_ok=True)


def _campaign_id(request: Request) -> int:
    raw = request.query_params.get("campaign")
    if not raw:
        raise DomainError(ErrorCode.REQUIRED, "Name the campaign (?campaign=<id>).", ["campaign"])
    return decode_id(raw, "Campaign", ["campaign"])


def _mapping(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        mapping = json.loads(raw)
    except ValueError:
        mapping = None
    valid = isinstance(mapping, dict) and all(
        isinstance(key, str) and isinstance(value, str) for key, value in mapping.items()
    )
    if not valid:
        raise DomainError(
            ErrorCode.INVALID,
            'The mapping must be a JSON object of header names to fields, e.g. {"Mobil": "phone"}.',
            ["mapping"],
        )
    return cast(dict[str, str], mapping)  # checked just above


async def _receive(request: Request, limit: int) -> Path:
    """The body into a temporary file, refused past `limit` bytes while it streams in."""
    too_large = HttpError(
        413,
        "TOO_LARGE",
        f"The file is larger than {limit // 1_000_000} MB; split it or import it with "
        "`leadflow import` on the server.",
    )
    descriptor, name = tempfile.mkstemp(prefix="leadflow-import-", suffix=".csv")
    path = Path(name)
    size = 0
    try:
        with open(descriptor, "wb") as handle:
            async for chunk in body_chunks(request, limit, too_large):
                size += len(chunk)
                handle.write(chunk)
    except (HttpError, ClientDisconnect):
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise DomainError(ErrorCode.REQUIRED, "The file is empty.", ["file"])
    return path


def _preview_json(preview: ImportPreview) -> dict[str, Any]:
    report = preview.report
    layout = report.layout
    counts = report.counts
    return {
        "fileName": report.file_name,
        "encoding": layout.encoding,
        "separator": layout.separator,
        "header": list(layout.header),
        "columns": [
            {"header": name, "field": FIELD_LABELS.get(layout.columns.get(index, ""))}
            for index, name in enumerate(layout.header)
        ],
        "unknownColumns": list(layout.unknown_columns),
        "preview": [list(row.values) for row in preview.rows],
        "counts": {
            "rowsRead": counts.rows_processed,
            "leadsCreated": counts.leads_created,
            "contactsReused": counts.contacts_reused,
            "duplicatesSkipped": counts.duplicates_skipped,
            "rowsRejected": counts.rows_rejected,
            "emptyRows": counts.empty_rows,
        },
        "issues": [
            {
                "row": issue.row_number,
                "kind": issue.kind.value,
                "code": issue.code.value,
                "field": issue.field,
                "message": issue.message,
            }
            for issue in report.issues[:REPORTED_ISSUES]
        ],
        "moreIssues": max(len(report.issues) - REPORTED_ISSUES, 0),
    }


# ---------------------------------------------------------------------------------------------
# Downloads


async def _rejected_rows(request: Request) -> Response:
    files = await _lead_files(request, writes=False)
    import_id = decode_id(request.path_params["id"], "LeadImport", ["id"])
    requested = request.query_params.get("lang")
    if requested is not None and requested not in i18n.LANGUAGES:
        raise DomainError(ErrorCode.INVALID, "lang must be en or de.", ["lang"])
    accepted = _accepted_language(request.headers.get("accept-language", ""))
    rejected = await files.rejected_rows(import_id, requested=requested, accepted=accepted)
    return Response(
        "\ufeff" + rejected.text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(rejected.file_name)},
    )


async def _export(request: Request) -> Response:
    files = await _lead_files(request, writes=False)
    query = export_query(request)
    export = await files.export(query.export_filter, language=query.language)

    async def body() -> AsyncIterator[bytes]:
        yield "\ufeff".encode()  # Excel reads the file as UTF-8 only with this mark
        async for chunk in export.chunks:
            yield chunk.encode("utf-8")

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(export.file_name)},
    )


async def _contact_export(request: Request) -> Response:
    """The data export of one person (Art. 15), the document `contactDataExport` gives. Not
    kept by the browser or a proxy: it is personal data."""
    auth = await signed_in(request, links=True)
    contact_export.require_may_export(auth.user)
    contact_id = decode_id(request.path_params["id"], "Contact", ["id"])
    document = await contact_export.contact_data_export(
        auth.user, contact_id, address=client_address(request)
    )
    return Response(
        contact_export.as_json(document),
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": _attachment(f"kontakt-{contact_id}-auskunft.json"),
            "Cache-Control": "no-store",
        },
    )


def _accepted_language(header: str) -> str | None:
    """The language of ours the client prefers by its Accept-Language ("de-DE,de;q=0.9,en;q=0.8"
    -> "de"), or None."""
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate(header.split(",")[:50]):
        tag, _, params = entry.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().split("-")[0].casefold()
        if language in i18n.LANGUAGES and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else None


def _attachment(file_name: str) -> str:
    """Content-Disposition for a download: an ASCII name for old clients and the real one in
    UTF-8 (RFC 6266), so that "Messe Köln.csv" arrives as such and no name breaks the header."""
    plain = "".join(c if c.isascii() and (c.isalnum() or c in "-_. ") else "_" for c in file_name)
    return f"attachment; filename=\"{plain[-150:]}\"; filename*=UTF-8''{quote(file_name[-150:])}"
