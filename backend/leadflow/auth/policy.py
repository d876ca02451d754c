"""The permission layer: one place that answers "may this actor see or do this?".

Services call the `require_*` functions before writing; queries use the `visible_*` filters so
that a clerk's list is filtered in SQL, never fetched and then hidden.
"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from leadflow.db.enums import Role
from leadflow.db.models import Contact, Lead, Opportunity, User
from leadflow.services.errors import AccessDenied

MANAGING_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
WORKING_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})


def is_manager(actor: User) -> bool:
    return actor.role in MANAGING_ROLES


def require_manager(actor: User, action: str) -> None:
    if not is_manager(actor):
        raise AccessDenied(f"Only managers may {action}.")


def require_worker(actor: User) -> None:
    """Clerks, managers and admins work with leads; partners get their own access later."""
    if actor.role not in WORKING_ROLES:
        raise AccessDenied("Your role has no access to leads and opportunities.")


def visible_leads(actor: User) -> QuerySet[Lead]:
    require_worker(actor)
    if is_manager(actor):
        return Lead.all()
    return Lead.filter(assignee_id=actor.id)


def require_lead_visible(actor: User, lead: Lead) -> None:
    require_worker(actor)
    if not is_manager(actor) and lead.assignee_id != actor.id:
        raise AccessDenied("This lead is assigned to someone else.")


def require_may_work_on_lead(actor: User, lead: Lead) -> None:
    """Feedback and closing: the lead's assignee, or a manager."""
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
