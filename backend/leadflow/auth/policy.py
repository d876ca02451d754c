"""The permission layer: one place that answers "may this actor see or do this?".

Services call the `require_*` functions before writing; queries use the `visible_*` filters so
that a clerk's list is filtered in SQL, never fetched and then hidden. Each visibility rule is
written once, as the filter, and a single object is checked against that same rule
(`find_visible`, or a `Scope` for rows already loaded). The system actors (the operator at the
command line, jobs, the demo) may do what an admin may, and see everything: said here,
explicitly, by `is_system`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any, TypeGuard, TypeVar

from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from leadflow.auth.actors import Actor, is_system
from leadflow.auth.tokens import Authenticated
from leadflow.db.enums import LeadStatus, Role
from leadflow.db.lead_status import status_condition
from leadflow.db.models import (
    Activity,
    Campaign,
    Contact,
    Lead,
    Opportunity,
    PartnerCampaign,
    User,
    Webhook,
    WebhookDelivery,
)
from leadflow.errors import AccessDenied, DomainError

M = TypeVar("M", bound=Model)

MANAGING_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
WORKING_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK})


# --- Roles ----------------------------------------------------------------------------------


def is_admin(actor: Actor) -> bool:
    return is_system(actor) or actor.role == Role.ADMIN


def is_manager(actor: Actor) -> bool:
    """Managers and admins (and the system): they see and steer every lead."""
    return is_system(actor) or actor.role in MANAGING_ROLES


# A partner or a clerk is a user (TypeGuard: a type checker knows `actor.id` after a yes).
def is_partner(actor: Actor) -> TypeGuard[User]:
    return not is_system(actor) and actor.role == Role.PARTNER


def is_clerk(actor: Actor) -> TypeGuard[User]:
    return not is_system(actor) and actor.role == Role.CLERK


def is_self(actor: Actor, user_id: int) -> bool:
    """Whether the actor is this user (the system is nobody)."""
    return not is_system(actor) and actor.id == user_id


def require_admin(actor: Actor, action: str) -> None:
    if not is_admin(actor):
        raise AccessDenied(f"Only admins may {action}.")


def require_manager(actor: Actor, action: str) -> None:
    if not is_manager(actor):
        raise AccessDenied(f"Only managers may {action}.")


def require_admin_or_self(actor: Actor, user: User, action: str) -> None:
    if not (is_admin(actor) or is_self(actor, user.id)):
        raise AccessDenied(f"Only admins may {action} of other users.")


def require_may_change_clerk_settings(actor: Actor, user_id: int, *, capacity: bool) -> None:
    """Managers change any clerk's distribution settings; a clerk only their own absences
    (`capacity`: the change sets the capacity, which is the managers')."""
    if is_manager(actor):
        return
    if not (is_clerk(actor) and is_self(actor, user_id)):
        raise AccessDenied("Only managers change other users' distribution settings.")
    if capacity:
        raise AccessDenied("Only managers set a clerk's capacity.")


def may_read_absences(viewer: Actor, user_id: int) -> bool:
    """Absences are personal: managers, admins and the clerk themself."""
    return is_manager(viewer) or is_self(viewer, user_id)


def may_read_email_settings(viewer: Actor, user_id: int) -> bool:
    """The user themself and admins (who answer "why did I get no mail?"); nobody else, the
    system neither."""
    return not is_system(viewer) and (viewer.id == user_id or viewer.role == Role.ADMIN)


def require_worker(actor: Actor) -> None:
    """Clerks, managers and admins work with leads; partners get their own access later."""
    if not is_system(actor) and actor.role not in WORKING_ROLES:
        raise AccessDenied("Your role has no access to leads and opportunities.")


def idempotency_key_applies(auth: Authenticated | None) -> TypeGuard[Authenticated]:
    """Whether a request's Idempotency-Key is honoured for this login (web/idempotency.py):
    not without one (refused as unauthenticated), nor for a read-only credential, whose key is
    ignored: its mutations are refused FORBIDDEN each time (nothing to run once), and its
    refusal must not be kept under a key its user's full token may send, nor that token's
    stored answer replayed to it."""
    return auth is not None and not auth.read_only


# --- Visibility: one rule per kind of object, as a filter, checked on single objects too ------


@dataclass(frozen=True, slots=True)
class Scope:
    """A visibility rule, written once and used both ways: as the filter of the lists
    (`apply`) and as the check of a single object (`includes`, a query unless the actor sees
    everything; or `admits`, no query, for a row already loaded when the rule reads only that
    row's own columns), so that no check re-states the filter in other words. A row is in
    scope when it matches one of `alternatives` (each: Tortoise filter arguments that must all
    hold); `EVERYTHING` has one empty alternative. `distinct` when an alternative follows a
    one-to-many relation (a row would repeat); `refusal` says why a row is out of scope."""

    alternatives: tuple[Mapping[str, Any], ...]
    refusal: str = ""
    distinct: bool = False

    @property
    def everything(self) -> bool:
        return any(not columns for columns in self.alternatives)

    def apply(self, rows: QuerySet[M]) -> QuerySet[M]:
        if self.everything:
            return rows
        matching = rows.filter(reduce(operator.or_, (Q(**c) for c in self.alternatives)))
        return matching.distinct() if self.distinct else matching

    async def includes(self, model: type[M], pk: int) -> bool:
        return self.everything or await self.apply(model.filter(pk=pk)).exists()

    def admits(self, row: Model | Mapping[str, Any]) -> bool:
        return any(
            all(_column(row, column) == value for column, value in columns.items())
            for columns in self.alternatives
        )

    async def require(self, model: type[M], pk: int) -> None:
        if not await self.includes(model, pk):
            raise AccessDenied(self.refusal)


EVERYTHING = Scope(({},))


def _column(row: Model | Mapping[str, Any], column: str) -> object:
    return row.get(column) if isinstance(row, Mapping) else getattr(row, column)


async def find_visible(
    model: type[M], scope_of: Callable[[Actor], Scope], actor: Actor, pk: int, missing: DomainError
) -> M:
    """One object by its key, through the same rule as the lists (`scope_of`): `missing`
    (NOT_FOUND) when it does not exist, AccessDenied when it exists out of the actor's sight.
    A visible object costs one query, as a plain fetch would."""
    try:
        scope = scope_of(actor)
    except AccessDenied:
        # The role sees no such objects at all; a missing one is still NOT_FOUND for everyone.
        if not await model.filter(pk=pk).exists():
            raise missing from None
        raise
    found = await scope.apply(model.all()).get_or_none(pk=pk)
    if found is not None:
        return found
    if await model.filter(pk=pk).exists():
        raise AccessDenied(scope.refusal)
    raise missing


def lead_scope(actor: Actor) -> Scope:
    """Managers (and the system): all leads; clerks: those assigned to them; partners: the
    leads they submitted. Plain columns of the lead: `admits` checks a loaded lead."""
    if is_partner(actor):
        return Scope(({"created_by_id": actor.id},), "This lead was not submitted by you.")
    require_worker(actor)
    if is_manager(actor):
        return EVERYTHING
    assert not is_system(actor)
    return Scope(({"assignee_id": actor.id},), "This lead is assigned to someone else.")


def visible_leads(actor: Actor) -> QuerySet[Lead]:
    return lead_scope(actor).apply(Lead.all())


def may_see_lead(actor: Actor, lead: Lead | Mapping[str, Any]) -> bool:
    """A lead already loaded (a model, or a value row with `assignee_id` and `created_by_id`)
    against the rule of `visible_leads`, without a query."""
    return lead_scope(actor).admits(lead)


def require_lead_visible(actor: Actor, lead: Lead | Mapping[str, Any]) -> None:
    scope = lead_scope(actor)
    if not scope.admits(lead):
        raise AccessDenied(scope.refusal)


async def find_lead(actor: Actor, lead_id: int, missing: DomainError) -> Lead:
    return await find_visible(Lead, lead_scope, actor, lead_id, missing)


def require_may_list_leads_of(actor: Actor, assignee_id: int) -> None:
    """Filtering leads by assignee: managers anyone's, clerks their own (on purpose an error,
    not an empty list)."""
    if not (is_manager(actor) or is_self(actor, assignee_id)):
        raise AccessDenied("Clerks may only list their own leads.")


def require_may_work_on_lead(actor: Actor, lead: Lead) -> None:
    """Feedback and closing: the lead's assignee, or a manager."""
    require_worker(actor)
    require_lead_visible(actor, lead)


def campaign_scope(actor: Actor) -> Scope:
    """Partners: the campaigns linked to them; everyone else who works with leads: all."""
    if is_partner(actor):
        return Scope(
            ({"partner_links__partner_id": actor.id},), "This campaign is not linked to you."
        )
    require_worker(actor)
    return EVERYTHING


def visible_campaigns(actor: Actor) -> QuerySet[Campaign]:
    return campaign_scope(actor).apply(Campaign.all())


async def require_campaign_visible(actor: Actor, campaign: Campaign) -> None:
    await campaign_scope(actor).require(Campaign, campaign.id)


async def find_campaign(actor: Actor, campaign_id: int, missing: DomainError) -> Campaign:
    return await find_visible(Campaign, campaign_scope, actor, campaign_id, missing)


async def require_may_add_leads(actor: Actor, campaign: Campaign | None = None) -> None:
    """Managers feed any campaign; partners only the campaigns linked to them. Without a
    campaign: whether the actor may add leads at all."""
    if is_manager(actor):
        return
    if not is_partner(actor):
        raise AccessDenied("Only managers and linked partners may add leads.")
    if campaign is not None:
        await require_campaign_visible(actor, campaign)


def opportunity_scope(actor: Actor) -> Scope:
    """A clerk sees the opportunities they own and those that came from their own leads
    (so a lead's opportunity stays visible after it was handed over)."""
    require_worker(actor)
    if is_manager(actor):
        return EVERYTHING
    assert not is_system(actor)
    return Scope(
        ({"owner_id": actor.id}, {"lead__assignee_id": actor.id}),
        "This opportunity belongs to someone else.",
    )


def visible_opportunities(actor: Actor) -> QuerySet[Opportunity]:
    return opportunity_scope(actor).apply(Opportunity.all())


async def find_opportunity(actor: Actor, opportunity_id: int, missing: DomainError) -> Opportunity:
    return await find_visible(Opportunity, opportunity_scope, actor, opportunity_id, missing)


def require_may_list_opportunities_of(actor: Actor, owner_id: int) -> None:
    if not (is_manager(actor) or is_self(actor, owner_id)):
        raise AccessDenied("Clerks may only list their own opportunities.")


def require_opportunity_owner(actor: Actor, opportunity: Opportunity, action: str) -> None:
    """Handing over, moving through the pipeline, editing: the owner or a manager."""
    require_worker(actor)
    if not (is_manager(actor) or is_self(actor, opportunity.owner_id)):
        raise AccessDenied(f"Only the owner or a manager may {action} this opportunity.")


def require_may_reopen_opportunity(actor: Actor) -> None:
    """Moving a won or lost opportunity back: managers only."""
    if not is_manager(actor):
        raise AccessDenied("Only a manager may move a closed opportunity back.")


# --- Activities (follow-ups) ----------------------------------------------------------------


def require_may_plan_on_lead(actor: Actor, lead: Lead) -> None:
    """Scheduling, completing and moving a lead's activities: who works on the lead (its
    clerk, or a manager), as with feedback and closing."""
    require_may_work_on_lead(actor, lead)


def require_may_plan_on_opportunity(actor: Actor, opportunity: Opportunity) -> None:
    """An opportunity's activities: its owner, or a manager (as its moves and edits)."""
    require_opportunity_owner(actor, opportunity, "plan activities on")


def activity_scope(actor: Actor) -> Scope:
    """An activity is seen by whoever sees its lead or opportunity: `lead_scope` and
    `opportunity_scope` themselves, as subqueries of the same statement (so the two cannot
    drift apart); partners see none (like feedback and history, it is the clerks' work)."""
    require_worker(actor)
    leads, opportunities = lead_scope(actor), opportunity_scope(actor)
    if leads.everything and opportunities.everything:
        return EVERYTHING
    their_leads = leads.apply(Lead.all()).values("id")
    their_opportunities = opportunities.apply(Opportunity.all()).values("id")
    return Scope(
        (
            {"lead_id__in": Subquery(their_leads)},
            {"opportunity_id__in": Subquery(their_opportunities)},
        ),
        "This activity belongs to someone else's lead or opportunity.",
    )


async def find_activity(actor: Actor, activity_id: int, missing: DomainError) -> Activity:
    return await find_visible(Activity, activity_scope, actor, activity_id, missing)


def contact_scope(actor: Actor) -> Scope:
    """Clerks: the contacts of their leads and of their opportunities."""
    require_worker(actor)
    if is_manager(actor):
        return EVERYTHING
    assert not is_system(actor)
    return Scope(
        ({"leads__assignee_id": actor.id}, {"opportunities__owner_id": actor.id}),
        "This contact belongs to another clerk's leads.",
        distinct=True,
    )


async def find_contact(actor: Actor, contact_id: int, missing: DomainError) -> Contact:
    return await find_visible(Contact, contact_scope, actor, contact_id, missing)


def contact_editor_scope(actor: Actor) -> Scope:
    """Who may correct a contact's details (updateContact): managers and admins every contact;
    a clerk the contacts of their ACTIVE leads (the person is theirs to call now; a closed
    lead, or a contact known only through an opportunity, is not theirs to change); partners
    never. Read-only tokens are refused with every other mutation (`Context.require_writer`).
    The rule is a subquery, so the guarded write applies it too; there is no `admits`."""
    require_worker(actor)
    if is_manager(actor):
        return EVERYTHING
    assert not is_system(actor)
    their_open_leads = Lead.filter(
        status_condition(LeadStatus.ACTIVE), assignee_id=actor.id
    ).values("contact_id")
    return Scope(
        ({"id__in": Subquery(their_open_leads)},),
        "Clerks may correct only the contacts of their open leads.",
    )


async def find_contact_to_edit(actor: Actor, contact_id: int, missing: DomainError) -> Contact:
    return await find_visible(Contact, contact_editor_scope, actor, contact_id, missing)


def require_may_lift_opt_out(actor: Actor) -> None:
    """Consent: recording a contact's objection is any editor's (`contact_editor_scope`);
    lifting it (the person consented again) is a manager's or an admin's decision."""
    require_manager(actor, "lift a contact's objection to being contacted")


def require_may_override_opt_out(actor: Actor) -> None:
    """A call or an e-mail to a person who objected: only a manager or an admin may plan one
    anyway (`overrideOptOut`); the override is audited."""
    require_manager(actor, "override a contact's objection to being contacted (overrideOptOut)")


def require_may_erase_contact(actor: Actor) -> None:
    """Erasure (DSGVO Art. 17) removes a person's data for good: admins only."""
    require_admin(actor, "erase a contact's personal data")


def require_may_set_retention(actor: Actor) -> None:
    """A campaign's retention decides when its lost prospects are erased (see
    services/privacy/retention.py): setting or clearing it is an erasure decision, admins only
    (managers still read it)."""
    require_admin(actor, "set a campaign's retention (retentionDays)")


def require_may_lift_suppression(actor: Actor) -> None:
    """Storing an erased person again rests on their new consent: admins only."""
    require_admin(actor, "lift the suppression of an erased person")


def may_export_contact(actor: Actor, *, managers_allowed: bool) -> bool:
    """The data export of one person (Art. 15): admins; managers too when the instance allows
    it (LEADFLOW_CONTACT_EXPORT_MANAGERS, passed in by the caller)."""
    return is_admin(actor) or (managers_allowed and is_manager(actor))


def require_may_export_contact(actor: Actor, *, managers_allowed: bool) -> None:
    if not may_export_contact(actor, managers_allowed=managers_allowed):
        raise AccessDenied("Only admins may export a contact's personal data.")


def require_may_see_users(actor: Actor) -> None:
    require_worker(actor)


def user_details_scope(viewer: Actor) -> Scope:
    """Whose details (email, role, state, load) a viewer may read, on every edge that returns
    a user: managers and admins everyone's, everybody their own, clerks those of the active
    clerks (their colleagues, whom they may hand over to). A clerk sees only the name of a
    manager, a partner or a deactivated clerk who touched their leads. Plain columns."""
    if is_manager(viewer):
        return EVERYTHING
    assert not is_system(viewer)
    refusal = "Clerks see only themselves and the active clerks."
    if is_clerk(viewer):
        return Scope(({"id": viewer.id}, {"role": Role.CLERK, "active": True}), refusal)
    return Scope(({"id": viewer.id},), refusal)


def user_scope(actor: Actor) -> Scope:
    """Who `users` and `node(id:)` return: the users whose details the actor may see; partners
    list nobody."""
    require_may_see_users(actor)
    return user_details_scope(actor)


def visible_users(actor: Actor) -> QuerySet[User]:
    return user_scope(actor).apply(User.all())


async def find_user(actor: Actor, user_id: int, missing: DomainError) -> User:
    return await find_visible(User, user_scope, actor, user_id, missing)


def may_see_user_details(viewer: Actor, user_id: int, role: Role, active: bool) -> bool:
    """`user_details_scope` for a user on an edge (hot: once per field read, so no query)."""
    return user_details_scope(viewer).admits({"id": user_id, "role": role, "active": active})


def contact_email_for(viewer: Actor, email: str | None, email_key: str | None) -> str | None:
    """The email of a contact as the viewer reads it. Partners read the normalised form (the
    lower-cased key contacts are recognised by): a known email reuses the stored contact, whose
    spelling would otherwise tell the partner that the person was known already."""
    return email_key if is_partner(viewer) else email


# --- Reports ----------------------------------------------------------------------------------


def report_leads(actor: Actor) -> QuerySet[Lead]:
    """The leads whose figures the actor may read. Managers and admins (and their read-only
    tokens, which act as the same user): all; clerks: their own; partners: the leads they
    submitted to campaigns linked to them, since others' leads are none of their business."""
    leads = visible_leads(actor)
    if is_partner(actor):
        linked = PartnerCampaign.filter(partner_id=actor.id).values("campaign_id")
        return leads.filter(campaign_id__in=Subquery(linked))
    return leads


def reads_every_lead(actor: Actor) -> bool:
    """Whether `report_leads(actor)` is every lead, so the reports may read the rollups (which
    hold figures of all leads, not of one clerk's or partner's)."""
    return not is_partner(actor) and is_manager(actor)


def report_clerks(actor: Actor) -> QuerySet[User]:
    """Whose per-clerk figures the actor may read: managers every clerk (deactivated ones too,
    whose open leads still need reassigning), a clerk only themselves, partners nobody."""
    require_may_read_clerk_figures(actor)
    if is_manager(actor):
        return User.filter(role=Role.CLERK)
    assert not is_system(actor)
    return User.filter(id=actor.id)


def require_may_read_clerk_figures(actor: Actor) -> None:
    """Per-clerk figures and the aging lists are for the people who work with leads."""
    if is_partner(actor):
        raise AccessDenied("Partners see campaign figures only, not clerks' work or lead lists.")
    require_worker(actor)


# --- Webhooks -----------------------------------------------------------------------------------


def require_may_manage_webhooks(actor: Actor) -> None:
    """Admins and managers (and the system) manage every webhook, a partner its own; clerks
    none (a clerk's events are the managers' to pass on)."""
    if not (is_manager(actor) or is_partner(actor)):
        raise AccessDenied("Only managers and partners may manage webhooks.")


def webhook_scope(actor: Actor) -> Scope:
    """Which webhooks the actor sees and manages: managers and admins all, a partner those it
    owns. Plain columns: `admits` checks a loaded webhook."""
    require_may_manage_webhooks(actor)
    if is_partner(actor):
        return Scope(({"owner_id": actor.id},), "This webhook belongs to someone else.")
    return EVERYTHING


def webhook_delivery_scope(actor: Actor) -> Scope:
    """A delivery is seen by whoever sees its webhook (`webhook_scope`, through the relation)."""
    require_may_manage_webhooks(actor)
    if is_partner(actor):
        return Scope(
            ({"webhook__owner_id": actor.id},), "This delivery belongs to someone else's webhook."
        )
    return EVERYTHING


async def find_webhook(actor: Actor, webhook_id: int, missing: DomainError) -> Webhook:
    return await find_visible(Webhook, webhook_scope, actor, webhook_id, missing)


async def find_webhook_delivery(
    actor: Actor, delivery_id: int, missing: DomainError
) -> WebhookDelivery:
    return await find_visible(WebhookDelivery, webhook_delivery_scope, actor, delivery_id, missing)


# --- Webhooks ---------------------------------------------------------------------------------


def may_webhook_carry(
    owner: User,
    lead: Mapping[str, Any] | None,
    linked_campaign_ids: Collection[int],
    *,
    partner_event_type: bool,
) -> bool:
    """Whether a webhook owned by `owner` may be sent an event, decided at fan-out by what the
    owner may read then. Managers and admins: every event. A partner: only an event of a type
    partners may subscribe to (`partner_event_type`) about a lead it may see (`lead_scope`: it
    submitted it) in a campaign linked to it (`linked_campaign_ids`, as `report_leads`); `lead`
    is a row with `created_by_id` and `campaign_id`, None when the event is about no lead or
    the lead is gone. Anyone else (a clerk owns no webhook), and a deactivated owner: nothing."""
    if not owner.active:
        return False
    if is_partner(owner):
        return (
            partner_event_type
            and lead is not None
            and lead_scope(owner).admits(lead)
            and lead["campaign_id"] in linked_campaign_ids
        )
    return is_manager(owner)
