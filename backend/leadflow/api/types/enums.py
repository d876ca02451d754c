"""The domain's closed sets, exposed as GraphQL enums.

`strawberry.enum` registers the domain's own enum classes (it returns the class it was given),
so the names below are plain aliases that type checkers read as types."""

import strawberry

from leadflow.db import enums

Role = enums.Role
LeadStatus = enums.LeadStatus
Outcome = enums.Outcome
CloseReason = enums.CloseReason
Channel = enums.Channel
OpportunityStage = enums.OpportunityStage
OpportunityLostReason = enums.OpportunityLostReason
LeadEventKind = enums.LeadEventKind
OpportunityEventKind = enums.OpportunityEventKind
ImportStatus = enums.ImportStatus
ActivityKind = enums.ActivityKind
DueState = enums.DueState

strawberry.enum(Role, description="What a user may do: ADMIN, MANAGER, CLERK or PARTNER.")
strawberry.enum(
    LeadStatus,
    description="NEW: no clerk yet. ACTIVE: a clerk is assigned, not closed. DONE: closed.",
)
strawberry.enum(Outcome, description="How a closed lead ended.")
strawberry.enum(CloseReason, description="Why a lead was closed unsuccessfully.")
strawberry.enum(Channel, description="How the contact was reached.")
strawberry.enum(
    OpportunityStage,
    description="Where an opportunity stands, in pipeline order; WON and LOST close it.",
)
strawberry.enum(OpportunityLostReason, description="Why an opportunity was lost.")
strawberry.enum(
    DueState,
    description="Where the next open activity falls, by calendar day in the viewer's time "
    "zone (the Time-Zone header; UTC otherwise): OVERDUE before today, TODAY, UPCOMING after "
    "today; NONE: an open lead or opportunity with nothing scheduled.",
)
strawberry.enum(LeadEventKind, description="What happened to a lead.")
strawberry.enum(OpportunityEventKind, description="What happened to an opportunity.")
strawberry.enum(ActivityKind, description="What kind of next step an activity is.")
strawberry.enum(
    ImportStatus,
    description="QUEUED: waits for its turn (an instance runs a few imports at a time). "
    "RUNNING: rows are being imported (or it was interrupted and waits to be "
    "resumed). COMPLETED: every row was handled. FAILED: it stopped; importing the same file "
    "again resumes it.",
)
