"""Reading what imports did: their records, their issues, and the rejected rows as a file to
fix and import again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import IO

from leadflow import i18n
from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db import sql
from leadflow.db.enums import ImportIssueKind
from leadflow.db.models import ImportIssue, LeadImport
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.csv_cells import SpreadsheetWriter
from leadflow.services.import_files import header_language, is_rejects_column
from leadflow.services.imports.rows import RowIssue


async def import_issues(lead_import_id: int) -> list[RowIssue]:
    issues = await ImportIssue.filter(lead_import_id=lead_import_id).order_by("row_number", "id")
    return [
        RowIssue(
            kind=issue.kind,
            code=issue.code,
            row_number=issue.row_number,
            field=issue.field,
            message=issue.message,
            values=tuple(issue.values),
        )
        for issue in issues
    ]


def rejects_language(
    header: Iterable[str], requested: str | None = None, accepted: str | None = None
) -> str:
    """The language of an import's rejected-rows file: the one asked for (`requested`, the
    download's `?lang=`), else the language of the file's header (German column names: German
    reasons beside them, in the spreadsheet the user fixes and imports again), else the one the
    client accepts (`accepted`, from Accept-Language: every browser sends it, so it decides only
    for a header that tells nothing), else English."""
    for language in (requested, header_language(header), accepted):
        if language in i18n.LANGUAGES:
            return language
    return "en"


def write_rejected_rows(
    target: IO[str],
    header: Iterable[str],
    separator: str,
    issues: Iterable[RowIssue],
    language: str = "en",
) -> int:
    """The rejected rows, ready to fix and import again: the file's columns first and in their
    order, so that the fixed file imports with the same mapping, each row's values cut or
    padded to them, then `Row` (its number in the file, the header being row 1) and `Error`
    (every reason, " / " between them). Values beyond the header's width (a separator inside
    an unquoted value) follow the reason, separated as in the file, so nothing of the row is
    lost. `Row`, `Error` and the reasons are in `language` (`Zeile`, `Fehler` in German).
    Columns named like `Row` and `Error` (an earlier rejected-rows file imported again)
    are left out, as the import ignores them: their values would be stale. Every cell, the
    header, `Row` and `Error` included, is quoted and neutralised (`csv_cells`); the import
    removes the marks again. `issues` in row order. Returns the number of rows written."""
    header = tuple(header)
    kept = [index for index, name in enumerate(header) if not is_rejects_column(name)]
    writer = SpreadsheetWriter(target, separator)
    added = [
        i18n.text(language, "rejected.column.row"),
        i18n.text(language, "rejected.column.error"),
    ]
    writer.writerow([*(header[index] for index in kept), *added])
    written = 0
    # A row rejected without its values (an erased person's, SUPPRESSED) is not to be fixed
    # and imported again: it is left out.
    rejected = (
        issue for issue in issues if issue.kind is ImportIssueKind.REJECTED and issue.values
    )
    for row_number, row_issues in groupby(rejected, key=lambda issue: issue.row_number):
        issues_of_row = list(row_issues)
        values = issues_of_row[0].values
        cells = [values[index] if index < len(values) else "" for index in kept]
        reasons = [_reason(issue, len(header), separator, language) for issue in issues_of_row]
        writer.writerow([*cells, str(row_number), " / ".join(reasons)])
        written += 1
    return written


def _reason(issue: RowIssue, width: int, separator: str, language: str) -> str:
    reason = _explained(issue, language)
    beyond = issue.values[width:]
    if not beyond:
        return reason
    values = separator.join(beyond)
    return f"{reason} {i18n.text(language, 'rejected.valuesBeyond').format(values=values)}"


def _explained(issue: RowIssue, language: str) -> str:
    """Why the row was rejected, in `language`. English keeps the import's own message, which
    names the value and the limit; another language takes the product's text for the code (for
    the field and the code if there is one, as the import preview shows it), after the field's
    name. A code without a text (none today) keeps the English message."""
    if language != "en":
        texts = i18n.messages(language)
        specific = f"import.rowIssue.{issue.field}.{issue.code.value}"
        if issue.field and specific in texts:
            return i18n.text(language, specific)
        general = f"import.rowIssue.{issue.code.value}"
        if general in texts:
            label = texts.get(f"import.field.{issue.field}", issue.field)
            text = i18n.text(language, general)
            return f"{label}: {text}" if issue.field else text
    return f"{issue.field}: {issue.message}" if issue.field else issue.message


async def get_import(actor: Actor, import_id: int) -> LeadImport:
    policy.require_manager(actor, "see imports")
    lead_import = await LeadImport.get_or_none(id=import_id).select_related("created_by")
    if lead_import is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This import does not exist.", ["id"])
    return lead_import


async def campaign_imports(actor: Actor, campaign_id: int, limit: int) -> list[LeadImport]:
    """The campaign's latest imports, newest first."""
    return (await latest_imports(actor, [campaign_id], limit))[campaign_id]


async def latest_imports(
    actor: Actor, campaign_ids: Sequence[int], limit: int
) -> dict[int, list[LeadImport]]:
    """Each campaign's latest `limit` imports, newest first (with who started them): two
    statements for any number of campaigns (a list of campaigns shows each one's)."""
    policy.require_manager(actor, "see imports")
    per_import = LeadImport.filter(campaign_id__in=list(campaign_ids)).values(
        "id", group_key="campaign_id"
    )
    ids = await sql.latest_of_each(per_import, limit)
    found: dict[int, list[LeadImport]] = {campaign_id: [] for campaign_id in campaign_ids}
    if ids:
        for lead_import in (
            await LeadImport.filter(id__in=ids).select_related("created_by").order_by("-id")
        ):
            found[lead_import.campaign_id].append(lead_import)
    return found
