"""Object types. Scalars are plain attributes copied from the models (no per-field resolvers);
related objects are either joined in the same query or batched through DataLoaders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.types import Info

from leadflow.api.ids import encode_id
from leadflow.api.pagination import Page
from leadflow.api.types.enums import (
    Channel,
    CloseReason,
    LeadEventKind,
    LeadStatus,
    OpportunityEventKind,
    OpportunityStage,
    Outcome,
    Role,
)
from leadflow.api.types.inputs import LeadFilter
from leadflow.auth import policy
from leadflow.db import enums, models
from leadflow.db.lead_status import lead_status

if TYPE_CHECKING:
    from leadflow.api.types.imports import LeadImportNode

NodeT = TypeVar("NodeT")


@strawberry.interface(description="An object with a global ID; fetch any of them with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global ID.")


@strawberry.type(description="Paging state of a connection.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def page_info(page: Page) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )


# --- User -----------------------------------------------------------------------------------


_DETAILS = (
    "Null unless the viewer may see this user's details: managers and admins see everyone's, "
    "everybody their own, clerks those of active clerks."
)


@strawberry.type(
    name="User",
    description=(
        "Someone who works with Leadflow. Everyone sees the name of the users on what they may "
        "see; the other fields are null unless the viewer may see this user's details."
    ),
)
class UserNode(Node):
    pk: strawberry.Private[int]
    name: str = strawberry.field(description="Display name.")
    # The details, returned by the fields below only to viewers the policy lets see them. They
    # are decided on the User type, not per edge, so every edge that returns a user (assignee,
    # history, feedback, owners, reports, ...) follows the same rule; their resolvers run only
    # when a query selects them (lists of leads ask for names).
    stored_email: strawberry.Private[str]
    stored_role: strawberry.Private[enums.Role]
    stored_active: strawberry.Private[bool]

    def details_visible(self, info: Info) -> bool:
        viewer = info.context.require_viewer()
        return policy.may_see_user_details(viewer, self.pk, self.stored_role, self.stored_active)

    @strawberry.field(description="Login email. " + _DETAILS)
    def email(self, info: Info) -> str | None:
        return self.stored_email if self.details_visible(info) else None

    @strawberry.field(description=_DETAILS)
    def role(self, info: Info) -> Role | None:
        return self.stored_role if self.details_visible(info) else None

    @strawberry.field(description="Deactivated users cannot log in or get work. " + _DETAILS)
    def active(self, info: Info) -> bool | None:
        return self.stored_active if self.details_visible(info) else None

    @strawberry.field(
        description="Number of ACTIVE leads assigned to this user (their current load). " + _DETAILS
    )
    async def open_lead_count(self, info: Info) -> int | None:
        if not self.details_visible(info):
            return None
        return await info.context.loaders.open_lead_count.load(self.pk)

    @classmethod
    def from_model(cls, user: models.User) -> UserNode:
        return cls(
            id=encode_id("User", user.id),
            pk=user.id,
            name=user.name,
            stored_email=user.email,
            stored_role=user.role,
            stored_active=user.active,
        )

    @classmethod
    def from_values(cls, row: dict[str, Any], prefix: str) -> UserNode | None:
        """A joined user out of a value row (`prefix` + column); None when the key is NULL."""
        pk = row[f"{prefix}id"]
        if pk is None:
            return None
        return cls(
            id=encode_id("User", pk),
            pk=pk,
            name=row[f"{prefix}name"],
            stored_email=row[f"{prefix}email"],
            stored_role=row[f"{prefix}role"],
            stored_active=row[f"{prefix}active"],
        )


USER_COLUMNS = ("id", "name", "email", "role", "active")


def optional_user(user: models.User | None) -> UserNode | None:
    return UserNode.from_model(user) if user is not None else None


# --- Contact --------------------------------------------------------------------------------


def _contact_email(root: ContactNode, info: Info) -> str | None:
    viewer = info.context.require_viewer()
    return policy.contact_email_for(viewer, root.stored_email, root.email_key)


@strawberry.type(name="Contact", description="A person a lead is about.")
class ContactNode(Node):
    salutation: str
    first_name: str
    last_name: str
    company: str
    email: str | None = strawberry.field(
        resolver=_contact_email,
        description=(
            "Email address as entered. Partners read it lower-cased (as contacts are "
            "recognised), the same whether the person is new or was known already."
        ),
    )
    stored_email: strawberry.Private[str | None]
    email_key: strawberry.Private[str | None]
    phone: str
    street: str
    postal_code: str
    city: str
    country: str
    created_at: datetime

    @classmethod
    def from_values(cls, row: dict[str, Any], prefix: str) -> ContactNode:
        return cls(
            id=encode_id("Contact", row[f"{prefix}id"]),
            salutation=row[f"{prefix}salutation"],
            first_name=row[f"{prefix}first_name"],
            last_name=row[f"{prefix}last_name"],
            company=row[f"{prefix}company"],
            stored_email=row[f"{prefix}email"],
            email_key=row[f"{prefix}email_key"],
            phone=row[f"{prefix}phone"],
            street=row[f"{prefix}street"],
            postal_code=row[f"{prefix}postal_code"],
            city=row[f"{prefix}city"],
            country=row[f"{prefix}country"],
            created_at=row[f"{prefix}created_at"],
        )

    @classmethod
    def from_model(cls, contact: models.Contact) -> ContactNode:
        return cls(
            id=encode_id("Contact", contact.id),
            salutation=contact.salutation,
            first_name=contact.first_name,
            last_name=contact.last_name,
            company=contact.company,
            stored_email=contact.email,
            email_key=contact.email_key,
            phone=contact.phone,
            street=contact.street,
            postal_code=contact.postal_code,
            city=contact.city,
            country=contact.country,
            created_at=contact.created_at,
        )


CONTACT_COLUMNS = (
    "id",
    "salutation",
    "first_name",
    "last_name",
    "company",
    "email",
    "email_key",
    "phone",
    "street",
    "postal_code",
    "city",
    "country",
    "created_at",
)


# --- Campaign -------------------------------------------------------------------------------


@strawberry.type(description="Figures of a campaign over the leads the viewer may see.")
class CampaignStats:
    total: int
    new: int
    active: int
    done: int
    successful: int
    unsuccessful: int
    conversion_rate: float | None = strawberry.field(
        description="successful / done, between 0 and 1; null while no lead is done."
    )


@strawberry.type(name="Campaign", description="A marketing campaign that produces leads.")
class CampaignNode(Node):
    pk: strawberry.Private[int]
    name: str
    description: str
    starts_on: date | None
    ends_on: date | None
    created_at: datetime

    @strawberry.field(description="New/Active/Done and outcomes of this campaign's leads.")
    async def stats(self, info: Info) -> CampaignStats:
        stats = await info.context.loaders.campaign_stats.load(self.pk)
        return CampaignStats(
            total=stats.total,
            new=stats.new,
            active=stats.active,
            done=stats.done,
            successful=stats.successful,
            unsuccessful=stats.unsuccessful,
            conversion_rate=stats.conversion_rate,
        )

    @strawberry.field(description="This campaign's leads, newest first.")
    async def leads(
        self,
        info: Info,
        filter: LeadFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> LeadConnection:
        from leadflow.api.resolvers import resolve_leads

        return await resolve_leads(info, filter, first, after, campaign_pk=self.pk)

    @strawberry.field(
        description="The latest imports of lead files into this campaign, newest first (managers)."
    )
    async def imports(
        self, info: Info, first: int = 10
    ) -> list[Annotated[LeadImportNode, strawberry.lazy("leadflow.api.types.imports")]]:
        from leadflow.api.types.imports import LeadImportNode
        from leadflow.services.imports import campaign_imports

        actor = info.context.require_viewer()
        found = await campaign_imports(actor, self.pk, max(1, min(first, 50)))
        return [LeadImportNode.from_model(lead_import) for lead_import in found]

    @classmethod
    def from_values(cls, row: dict[str, Any], prefix: str) -> CampaignNode:
        return cls(
            id=encode_id("Campaign", row[f"{prefix}id"]),
            pk=row[f"{prefix}id"],
            name=row[f"{prefix}name"],
            description=row[f"{prefix}description"],
            starts_on=row[f"{prefix}starts_on"],
            ends_on=row[f"{prefix}ends_on"],
            created_at=row[f"{prefix}created_at"],
        )

    @classmethod
    def from_model(cls, campaign: models.Campaign) -> CampaignNode:
        return cls(
            id=encode_id("Campaign", campaign.id),
            pk=campaign.id,
            name=campaign.name,
            description=campaign.description,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
            created_at=campaign.created_at,
        )


CAMPAIGN_COLUMNS = ("id", "name", "description", "starts_on", "ends_on", "created_at")


# --- Lead -----------------------------------------------------------------------------------


@strawberry.type(name="Feedback", description="What a clerk noted after contacting the person.")
class FeedbackNode:
    id: strawberry.ID
    author: UserNode
    channel: Channel
    note: str
    created_at: datetime

    @classmethod
    def from_model(cls, feedback: models.Feedback) -> FeedbackNode:
        return cls(
            id=strawberry.ID(str(feedback.id)),
            author=UserNode.from_model(feedback.author),
            channel=feedback.channel,
            note=feedback.note,
            created_at=feedback.created_at,
        )


@strawberry.type(description="One entry of a lead's history: who did what, when.")
class LeadEvent:
    kind: LeadEventKind
    at: datetime
    actor: UserNode | None = strawberry.field(description="Who did it; null for the system.")
    assignee: UserNode | None = strawberry.field(description="ASSIGNED/REASSIGNED: the new clerk.")
    previous_assignee: UserNode | None = strawberry.field(
        description="REASSIGNED: the former clerk."
    )
    outcome: Outcome | None
    close_reason: CloseReason | None
    note: str

    @classmethod
    def from_model(cls, event: models.LeadEvent) -> LeadEvent:
        return cls(
            kind=event.kind,
            at=event.at,
            actor=optional_user(event.actor),
            assignee=optional_user(event.assignee),
            previous_assignee=optional_user(event.previous_assignee),
            outcome=event.outcome,
            close_reason=event.close_reason,
            note=event.note,
        )


@strawberry.type(name="Lead", description="A contact from a campaign, to be worked by a clerk.")
class LeadNode(Node):
    pk: strawberry.Private[int]
    contact: ContactNode
    campaign: CampaignNode
    status: LeadStatus = strawberry.field(description="Derived from assignee and close.")
    assignee: UserNode | None = strawberry.field(description="The clerk working the lead.")
    assigned_at: datetime | None
    waiting_since: datetime | None = strawberry.field(
        description=(
            "ACTIVE leads: when the current wait for the clerk started, the later of the "
            "assignment to this clerk and the latest feedback (what the aging list "
            "ACTIVE_WITHOUT_FEEDBACK and each clerk's oldest waiting lead go by); null otherwise."
        )
    )
    outcome: Outcome | None
    close_reason: CloseReason | None = strawberry.field(description="Set for unsuccessful closes.")
    close_note: str
    closed_at: datetime | None
    created_at: datetime
    closed_by_pk: strawberry.Private[int | None]

    @strawberry.field(description="Who closed the lead.")
    async def closed_by(self, info: Info) -> UserNode | None:
        if self.closed_by_pk is None:
            return None
        user = await info.context.loaders.user.load(self.closed_by_pk)
        return UserNode.from_model(user) if user else None

    @strawberry.field(description="Feedback entries, oldest first.")
    async def feedback(self, info: Info) -> list[FeedbackNode]:
        entries = await info.context.loaders.feedback_by_lead.load(self.pk)
        return [FeedbackNode.from_model(entry) for entry in entries]

    @strawberry.field(description="Everything that happened to the lead, oldest first.")
    async def history(self, info: Info) -> list[LeadEvent]:
        events = await info.context.loaders.history_by_lead.load(self.pk)
        return [LeadEvent.from_model(event) for event in events]

    @strawberry.field(description="The opportunity created when the lead was closed successfully.")
    async def opportunity(self, info: Info) -> OpportunityNode | None:
        opportunity = await info.context.loaders.opportunity_by_lead.load(self.pk)
        return OpportunityNode.from_model(opportunity) if opportunity else None

    @classmethod
    def from_values(cls, row: dict[str, Any]) -> LeadNode:
        """`row` holds the columns of LEAD_COLUMNS: the lead with contact, campaign and
        assignee joined, as plain values (building ORM models costs more than the query)."""
        status = lead_status(row["closed_at"], row["assignee_id"])
        return cls(
            id=encode_id("Lead", row["id"]),
            pk=row["id"],
            contact=ContactNode.from_values(row, "contact__"),
            campaign=CampaignNode.from_values(row, "campaign__"),
            status=status,
            assignee=UserNode.from_values(row, "assignee__"),
            assigned_at=row["assigned_at"],
            waiting_since=row["waiting_since"] if status is enums.LeadStatus.ACTIVE else None,
            outcome=row["outcome"],
            close_reason=row["close_reason"],
            close_note=row["close_note"],
            closed_at=row["closed_at"],
            closed_by_pk=row["closed_by_id"],
            created_at=row["created_at"],
        )


LEAD_COLUMNS = (
    "id",
    "assignee_id",
    "assigned_at",
    "waiting_since",
    "outcome",
    "close_reason",
    "close_note",
    "closed_at",
    "closed_by_id",
    "created_by_id",
    "created_at",
    *(f"contact__{column}" for column in CONTACT_COLUMNS),
    *(f"campaign__{column}" for column in CAMPAIGN_COLUMNS),
    *(f"assignee__{column}" for column in USER_COLUMNS),
)


@strawberry.type(description="Leads per tab of the overview.")
class LeadCounts:
    new: int
    active: int
    done: int


# --- Opportunity ----------------------------------------------------------------------------


@strawberry.type(description="One entry of an opportunity's history.")
class OpportunityEvent:
    kind: OpportunityEventKind
    at: datetime
    actor: UserNode | None
    owner: UserNode | None = strawberry.field(description="CREATED/HANDED_OVER: the new owner.")
    previous_owner: UserNode | None = strawberry.field(description="HANDED_OVER: the former owner.")
    note: str

    @classmethod
    def from_model(cls, event: models.OpportunityEvent) -> OpportunityEvent:
        return cls(
            kind=event.kind,
            at=event.at,
            actor=optional_user(event.actor),
            owner=optional_user(event.owner),
            previous_owner=optional_user(event.previous_owner),
            note=event.note,
        )


@strawberry.type(name="Opportunity", description="A sales opportunity (Verkaufschance).")
class OpportunityNode(Node):
    pk: strawberry.Private[int]
    lead_pk: strawberry.Private[int | None]
    title: str
    contact: ContactNode
    owner: UserNode = strawberry.field(description="The clerk responsible for it.")
    stage: OpportunityStage
    expected_value: Decimal | None
    created_at: datetime

    @strawberry.field(description="The lead it came from, if any.")
    async def lead(self, info: Info) -> LeadNode | None:
        if self.lead_pk is None:
            return None
        row = await info.context.loaders.lead.load(self.lead_pk)
        if row is None:
            return None
        # The owner of a handed-over opportunity may see it, but not the other clerk's lead.
        visibility = models.Lead(
            id=row["id"], assignee_id=row["assignee_id"], created_by_id=row["created_by_id"]
        )
        policy.require_lead_visible(info.context.require_viewer(), visibility)
        return LeadNode.from_values(row)

    @strawberry.field(description="Creation and hand-overs, oldest first.")
    async def history(self, info: Info) -> list[OpportunityEvent]:
        events = await info.context.loaders.history_by_opportunity.load(self.pk)
        return [OpportunityEvent.from_model(event) for event in events]

    @classmethod
    def from_model(cls, opportunity: models.Opportunity) -> OpportunityNode:
        """`opportunity` must come with contact and owner joined."""
        return cls(
            id=encode_id("Opportunity", opportunity.id),
            pk=opportunity.id,
            lead_pk=opportunity.lead_id,
            title=opportunity.title,
            contact=ContactNode.from_model(opportunity.contact),
            owner=UserNode.from_model(opportunity.owner),
            stage=opportunity.stage,
            expected_value=opportunity.expected_value,
            created_at=opportunity.created_at,
        )


@strawberry.type(description="An item of a list page, with the cursor to continue after it.")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A page of a list: `first` items (at most 100) after a cursor.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count_query: strawberry.Private[object]

    @strawberry.field(description="Number of items matching, over all pages.")
    async def total_count(self) -> int:
        return await self.total_count_query.count()  # type: ignore[attr-defined]


def connection(
    page: Page, to_node: Callable[[Any], NodeT], count_query: object
) -> Connection[NodeT]:
    """A connection of `page`'s rows (models or value rows) turned into nodes."""
    return Connection(
        edges=[
            Edge(cursor=cursor, node=to_node(row))
            for row, cursor in zip(page.rows, page.cursors, strict=True)
        ],
        page_info=page_info(page),
        total_count_query=count_query,
    )


LeadConnection = Connection[LeadNode]
OpportunityConnection = Connection[OpportunityNode]
CampaignConnection = Connection[CampaignNode]
