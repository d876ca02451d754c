"""The permission layer: one place that answers "may this actor see or do this?".

Services call the `require_*` functions before writing; queries use the `visible_*` filters so
that a clerk's list is filtered in SQL, never fetched and then hidden.
"""

from __future__ import annotations

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from leadflow.db.enums import Role
from leadflow.db.models import Campaign, Contact, Lead, Opportunity, PartnerCampaign, User
from leadflow.errors import AccessDenied

MANAGING_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
WORKING_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})
ALL_FIELDS = "*"

# What a partner may read, type by type ("*": every field). Checked on the query document
# before execution (api/field_policy.py), so a partner never gets feedback notes, history or
# colleagues' details, however the query is shaped. The viewer's own user record is exempt.
PARTNER_READABLE: dict[str, frozenset[str] | str] = {
    "Query": frozenset(
        {
            "viewer",
            "node",
            "leads",
            "lead",
            "leadCounts",
            "campaigns",
            "campaign",
            "campaignReports",
            "leadTimeSeries",
        }
    ),
    "Mutation": frozenset({"createLeads"}),
    "Lead": frozenset(
        {
            "id",
            "contact",
            "campaign",
            "status",
            "assignee",
            "assignedAt",
            "outcome",
            "closeReason",
            "closedAt",
            "createdAt",
        }
    ),
    "User": frozenset({"id", "name"}),
    "Node": frozenset({"id"}),
    # A known email reuses the stored contact: a partner must not learn what others stored
    # about that person (phone, address), nor that the person was known at all. So it reads
    # only the email, in the form that is the same for a new and a known person
    # (`contact_email_for`), and no contact ID (an old, low key would tell a known person).
    "Contact": frozenset({"email"}),
    "Campaign": ALL_FIELDS,
    "CampaignStats": ALL_FIELDS,
    "CampaignConnection": ALL_FIELDS,
    "CampaignEdge": ALL_FIELDS,
    "LeadConnection": ALL_FIELDS,
    "LeadEdge": ALL_FIELDS,
    "LeadCounts": ALL_FIELDS,
    "PageInfo": ALL_FIELDS,
    "CreateLeadsPayload": ALL_FIELDS,
    "UserError": ALL_FIELDS,
    # Campaign figures only (over the partner's own leads); no per-clerk reports, no aging lists.
    "CampaignReport": ALL_FIELDS,
    "ReasonCount": ALL_FIELDS,
    "TimeSeriesPoint": ALL_FIELDS,
}
VIEWER_READABLE = frozenset({"id", "name", "email", "role", "active"})


def partner_may_read(type_name: str, field_name: str, *, own_user: bool = False) -> bool:
    if type_name == "User" and own_user:
        return field_name in VIEWER_READABLE
    allowed = PARTNER_READABLE.get(type_name)
    return allowed == ALL_FIELDS or (allowed is not None and field_name in allowed)


def is_manager(actor: User) -> bool:
    return actor.role in MANAGING_ROLES


def require_manager(actor: User | None, action: str) -> None:
    """`None` is the operator at the server's command line."""
    if actor is not None and not is_manager(actor):
        raise AccessDenied(f"Only managers may {action}.")


def require_worker(actor: User) -> None:
    """Clerks, managers and admins work with leads; partners get their own access later."""
    if actor.role not in WORKING_ROLES:
        raise AccessDenied("Your role has no access to leads and opportunities.")


def is_partner(actor: User) -> bool:
    return actor.role == Role.PARTNER


def require_admin(actor: User | None, action: str) -> None:
    """`None` is the operator at the server's command line."""
    if actor is not None and actor.role != Role.ADMIN:
        raise AccessDenied(f"Only admins may {action}.")


def require_admin_or_self(actor: User | None, user: User, action: str) -> None:
    if actor is not None and actor.role != Role.ADMIN and actor.id != user.id:
        raise AccessDenied(f"Only admins may {action} of other users.")


def visible_leads(actor: User) -> QuerySet[Lead]:
    """Managers: all; clerks: assigned to them; partners: the leads they submitted."""
    if is_partner(actor):
        return Lead.filter(created_by_id=actor.id)
    require_worker(actor)
    if is_manager(actor):
        return Lead.all()
    return Lead.filter(assignee_id=actor.id)


def require_lead_visible(actor: User, lead: Lead) -> None:
    if is_partner(actor):
        if lead.created_by_id != actor.id:
            raise AccessDenied("This lead was not submitted by you.")
        return
    require_worker(actor)
    if not is_manager(actor) and lead.assignee_id != actor.id:
        raise AccessDenied("This lead is assigned to someone else.")


def visible_campaigns(actor: User) -> QuerySet[Campaign]:
    if is_partner(actor):
        return Campaign.filter(partner_links__partner_id=actor.id)
    require_worker(actor)
    return Campaign.all()


async def require_campaign_visible(actor: User, campaign: Campaign) -> None:
    if is_partner(actor) and not await visible_campaigns(actor).filter(id=campaign.id).exists():
        raise AccessDenied("This campaign is not linked to you.")
    if not is_partner(actor):
        require_worker(actor)


async def require_may_add_leads(actor: User, campaign: Campaign) -> None:
    """Managers feed any campaign; partners only the campaigns linked to them."""
    if is_manager(actor):
        return
    if is_partner(actor):
        await require_campaign_visible(actor, campaign)
        return
    raise AccessDenied("Only managers and linked partners may add leads.")


def require_may_work_on_lead(actor: User, lead: Lead) -> None:
    """Feedback and closing: the lead's assignee, or a manager."""
    require_worker(actor)
    require_lead_visible(actor, lead)


def visible_opportunities(actor: User) -> QuerySet[Opportunity]:
    """A clerk sees the opportunities they own and those that came from their own leads
    (so a lead's opportunity stays visible after it was handed over)."""
    require_worker(actor)
    if is_manager(actor):
        return Opportunity.all()
    return Opportunity.filter(Q(owner_id=actor.id) | Q(lead__assignee_id=actor.id))


async def require_opportunity_visible(actor: User, opportunity: Opportunity) -> None:
    require_worker(actor)
    if is_manager(actor) or opportunity.owner_id == actor.id:
        return
    if (
        opportunity.lead_id is not None
        and await Lead.filter(id=opportunity.lead_id, assignee_id=actor.id).exists()
    ):
        return
    raise AccessDenied("This opportunity belongs to someone else.")


def require_opportunity_owner(actor: User, opportunity: Opportunity) -> None:
    """Hand-over: the owner or a manager."""
    require_worker(actor)
    if not is_manager(actor) and opportunity.owner_id != actor.id:
        raise AccessDenied("Only the owner or a manager may hand over this opportunity.")


def visible_contacts(actor: User) -> QuerySet[Contact]:
    require_worker(actor)
    if is_manager(actor):
        return Contact.all()
    return Contact.filter(
        Q(leads__assignee_id=actor.id) | Q(opportunities__owner_id=actor.id)
    ).distinct()


async def require_contact_visible(actor: User, contact: Contact) -> None:
    require_worker(actor)
    if is_manager(actor):
        return
    if not await visible_contacts(actor).filter(id=contact.id).exists():
        raise AccessDenied("This contact belongs to another clerk's leads.")


def require_may_see_users(actor: User) -> None:
    require_worker(actor)


def visible_users(actor: User) -> QuerySet[User]:
    """Who `users` and `node(id:)` return: the users whose details the actor may see
    (`may_see_user_details`, the same rule as a filter): managers and admins everyone, clerks
    themselves and the active clerks they may hand opportunities over to."""
    require_worker(actor)
    if is_manager(actor):
        return User.all()
    return User.filter(Q(role=Role.CLERK, active=True) | Q(id=actor.id))


# Every viewer sees `id` and `name` of the users on the things it may see (who created, worked,
# closed or handed over a lead); the other fields of a user only when `may_see_user_details`.
USER_PUBLIC_FIELDS = frozenset({"id", "name"})
USER_DETAIL_FIELDS = frozenset({"email", "role", "active", "openLeadCount"})


def may_see_user_details(viewer: User, user_id: int, role: Role, active: bool) -> bool:
    """Which users' email, role, state and load a viewer may read, on every edge that returns a
    user: managers and admins everyone's, everybody their own, clerks those of the active clerks
    (their colleagues, whom they may hand over to; `visible_users` as a condition). A clerk sees
    only the name of a manager, a partner or a deactivated clerk who touched their leads."""
    if viewer.id == user_id or is_manager(viewer):
        return True
    return viewer.role == Role.CLERK and role == Role.CLERK and active


def contact_email_for(viewer: User, email: str | None, email_key: str | None) -> str | None:
    """The email of a contact as the viewer reads it. Partners read the normalised form (the
    lower-cased key contacts are recognised by): a known email reuses the stored contact, whose
    spelling would otherwise tell the partner that the person was known already."""
    return email_key if is_partner(viewer) else email


# --- Reports ----------------------------------------------------------------------------------


def report_leads(actor: User) -> QuerySet[Lead]:
    """The leads whose figures the actor may read. Managers and admins (and their read-only
    tokens, which act as the same user): all; clerks: their own; partners: the leads they
    submitted to campaigns linked to them, since others' leads are none of their business."""
    if is_partner(actor):
        linked = PartnerCampaign.filter(partner_id=actor.id).values("campaign_id")
        return Lead.filter(created_by_id=actor.id, campaign_id__in=Subquery(linked))
    return visible_leads(actor)


def reads_every_lead(actor: User) -> bool:
    """Whether `report_leads(actor)` is every lead, so the reports may read the rollups (which
    hold figures of all leads, not of one clerk's or partner's)."""
    return not is_partner(actor) and is_manager(actor)


def report_clerks(actor: User) -> QuerySet[User]:
    """Whose per-clerk figures the actor may read: managers every clerk (deactivated ones too,
    whose open leads still need reassigning), a clerk only themselves, partners nobody."""
    require_may_read_clerk_figures(actor)
    if is_manager(actor):
        return User.filter(role=Role.CLERK)
    return User.filter(id=actor.id)


def require_may_read_clerk_figures(actor: User) -> None:
    """Per-clerk figures and the aging lists are for the people who work with leads."""
    if is_partner(actor):
        raise AccessDenied("Partners see campaign figures only, not clerks' work or lead lists.")
    require_worker(actor)
