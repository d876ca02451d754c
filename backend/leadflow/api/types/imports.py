"""GraphQL types of lead-file imports: the record of an import and its progress."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from leadflow.api.ids import encode_id
from leadflow.api.types.enums import ImportStatus
from leadflow.api.types.nodes import CampaignNode, Node, UserNode
from leadflow.db import models


@strawberry.type(
    name="LeadImport",
    description="One import of a lead file into a campaign: who started it, how far it got, "
    "what it found. Files are uploaded with POST /files/imports (see the README).",
)
class LeadImportNode(Node):
    pk: strawberry.Private[int]
    campaign_pk: strawberry.Private[int]
    file_name: str = strawberry.field(description="The name of the imported file.")
    status: ImportStatus = strawberry.field(description="Where the import stands.")
    started_at: datetime = strawberry.field(description="When it started.")
    finished_at: datetime | None = strawberry.field(description="When it completed.")
    rows_expected: int | None = strawberry.field(
        description="About how many rows the file has (counted from its lines), for progress."
    )
    rows_processed: int = strawberry.field(description="Rows handled so far, of every kind.")
    leads_created: int = strawberry.field(description="New leads created.")
    contacts_reused: int = strawberry.field(
        description="Of the new leads, how many belong to a contact that was known already."
    )
    duplicates_skipped: int = strawberry.field(
        description="Rows skipped because the contact already has an open lead in the campaign."
    )
    rows_rejected: int = strawberry.field(
        description="Rows not imported because of a mistake (see rejectedRowsUrl)."
    )
    empty_rows: int = strawberry.field(description="Empty rows, ignored.")
    unknown_columns: list[str] = strawberry.field(
        description="Columns of the file that were not imported."
    )
    failure: str | None = strawberry.field(description="Why the import stopped, if it failed.")
    rejected_rows_url: str | None = strawberry.field(
        description="Download of the rejected rows with their reasons (CSV), to fix and import "
        "again; null when no row was rejected."
    )
    created_by: UserNode | None = strawberry.field(
        description="The manager who started it; null for the command line."
    )

    @strawberry.field(description="The campaign the leads went into.")
    async def campaign(self, info: Info) -> CampaignNode:
        return CampaignNode.from_model(await models.Campaign.get(id=self.campaign_pk))

    @classmethod
    def from_model(cls, lead_import: models.LeadImport) -> LeadImportNode:
        """`created_by` must be fetched (select_related)."""
        global_id = encode_id("LeadImport", lead_import.id)
        creator = lead_import.created_by
        return cls(
            id=global_id,
            pk=lead_import.id,
            campaign_pk=lead_import.campaign_id,
            file_name=lead_import.file_name,
            status=lead_import.status,
            started_at=lead_import.started_at,
            finished_at=lead_import.finished_at,
            rows_expected=lead_import.rows_total,
            rows_processed=lead_import.rows_processed,
            leads_created=lead_import.leads_created,
            contacts_reused=lead_import.contacts_reused,
            duplicates_skipped=lead_import.duplicates_skipped,
            rows_rejected=lead_import.rows_rejected,
            empty_rows=lead_import.empty_rows,
            unknown_columns=list(lead_import.unknown_columns),
            failure=lead_import.failure or None,
            rejected_rows_url=(
                f"/files/imports/{global_id}/rejected.csv" if lead_import.rows_rejected else None
            ),
            created_by=UserNode.from_model(creator) if creator else None,
        )
