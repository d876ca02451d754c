"""Lead files, the web app's uploads and downloads (`web/files.py`): importing a file into a
campaign, the rejected rows of an import, an export of the leads under a filter. For managers.

`lead_files_of(actor)` checks that once, before an endpoint reads anything the client sent
(ids, the file), so a refusal never depends on the client's words. The services below apply
their own rules for every caller: imports are for managers, an export holds the leads the
actor sees.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db.models import Campaign
from leadflow.services import campaigns, exports, imports
from leadflow.services.import_files import FileRow, preview_rows


@dataclass(frozen=True, slots=True)
class LeadExport:
    file_name: str
    # The CSV text page by page: a large export never sits in memory.
    chunks: AsyncIterator[str]


@dataclass(frozen=True, slots=True)
class RejectedRows:
    file_name: str
    text: str


@dataclass(frozen=True, slots=True)
class ImportPreview:
    report: imports.ImportReport
    rows: list[FileRow]


def lead_files_of(actor: Actor) -> LeadFiles:
    policy.require_manager(actor, "import and export lead files")
    return LeadFiles(actor)


@dataclass(frozen=True, slots=True)
class LeadFiles:
    """What a manager does with lead files; made by `lead_files_of`, after the check."""

    actor: Actor

    async def campaign(self, campaign_id: int) -> Campaign:
        return await campaigns.campaign_by_id(campaign_id, ["campaign"])

    async def preview(
        self, campaign: Campaign, file: imports.ImportFile, rows: int
    ) -> ImportPreview:
        """The dry run of an import, with the file's first `rows` rows as they were read."""
        report = await imports.preview(self.actor, campaign.id, file)
        return ImportPreview(report, preview_rows(file.path, report.layout, rows))

    async def start_import(
        self, campaign: Campaign, file: imports.ImportFile
    ) -> imports.StartedImport:
        """Record the import as QUEUED, for `imports.run` in its turn of the web imports'
        queue; the file is kept in the database until the import ends, so that another
        instance can finish it."""
        return await imports.start(self.actor, campaign.id, file, keep_source=True, queued=True)

    async def export(self, export_filter: exports.ExportFilter, *, language: str) -> LeadExport:
        """The leads under the filter as CSV for Excel (`;` for German), named after the
        filter's campaign if it has one. Refusals surface here, before the first chunk is asked
        for."""
        campaign_id = export_filter.lead_filter.campaign_id
        name = "leads" if campaign_id is None else (await self.campaign(campaign_id)).name
        separator = ";" if language == "de" else ","
        pages = exports.export_chunks(
            self.actor, export_filter, separator=separator, language=language
        )
        header, _count = await anext(pages)

        async def chunks() -> AsyncIterator[str]:
            yield header
            async for chunk, _leads in pages:
                yield chunk

        return LeadExport(f"{name}.csv", chunks())

    async def rejected_rows(
        self, import_id: int, *, requested: str | None = None, accepted: str | None = None
    ) -> RejectedRows:
        """The rejected rows of an import, to fix and import again, in the language asked for,
        else the file's (`imports.rejects_language`)."""
        lead_import = await imports.get_import(self.actor, import_id)
        issues = await imports.import_issues(lead_import.id)
        language = imports.rejects_language(lead_import.header, requested, accepted)
        text = io.StringIO()
        imports.write_rejected_rows(
            text, lead_import.header, lead_import.separator, issues, language
        )
        name = Path(lead_import.file_name).stem or "import"
        return RejectedRows(f"{name}.rejected.csv", text.getvalue())
