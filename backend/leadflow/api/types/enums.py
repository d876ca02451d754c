"""The domain's closed sets, exposed as GraphQL enums."""

import strawberry

from leadflow.db import enums

Role = strawberry.enum(
    enums.Role, description="What a user may do: ADMIN, MANAGER, CLERK or PARTNER."
)
LeadStatus = strawberry.enum(
    enums.LeadStatus,
    description="NEW: no clerk yet. ACTIVE: a clerk is assigned, not closed. DONE: closed.",
)
Outcome = strawberry.enum(enums.Outcome, description="How a closed lead ended.")
CloseReason = strawberry.enum(
    enums.CloseReason, description="Why a lead was closed unsuccessfully."
)
Channel = strawberry.enum(enums.Channel, description="How the contact was reached.")
OpportunityStage = strawberry.enum(
    enums.OpportunityStage, description="Where an opportunity stands."
)
LeadEventKind = strawberry.enum(enums.LeadEventKind, description="What happened to a lead.")
OpportunityEventKind = strawberry.enum(
    enums.OpportunityEventKind, description="What happened to an opportunity."
)
ImportStatus = strawberry.enum(
    enums.ImportStatus,
    description="QUEUED: waits for its turn (an instance runs a few imports at a time). "
    "RUNNING: rows are being imported (or it was interrupted and waits to be "
    "resumed). COMPLETED: every row was handled. FAILED: it stopped; importing the same file "
    "again resumes it.",
)
