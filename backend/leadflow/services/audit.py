"""The audit log: security-relevant events (logins, tokens, user changes, refusals)."""

from __future__ import annotations

from enum import StrEnum

from tortoise.queryset import QuerySet

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor, actor_user, is_system
from leadflow.db.models import AuditEntry

DETAIL_MAX = 2000


class AuditAction(StrEnum):
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGIN_THROTTLED = "login.throttled"
    LOGOUT = "logout"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    USER_CREATED = "user.created"
    USER_DEACTIVATED = "user.deactivated"
    USER_PASSWORD_SET = "user.password_set"
    PARTNER_LINKED = "partner.campaigns_linked"
    ACCESS_DENIED = "access.denied"
    # Webhooks send data out of the house, signed with a secret: who pointed them where.
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_CHANGED = "webhook.changed"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"
    # Consent: a manager planned a call or an e-mail to a person who objected to being contacted.
    OPT_OUT_OVERRIDDEN = "contact.opt_out_overridden"
    # Data protection: who erased which contact id and why (never the person's data), who lifted
    # a suppression, who exported a person's data.
    CONTACT_ERASED = "contact.erased"
    SUPPRESSION_LIFTED = "contact.suppression_lifted"
    CONTACT_DATA_EXPORTED = "contact.data_exported"
    # A campaign's retention decides when its lost prospects are erased: who set it, old -> new.
    CAMPAIGN_RETENTION_CHANGED = "campaign.retention_changed"


async def record(
    action: AuditAction, *, actor: Actor | None = None, detail: str = "", address: str = ""
) -> AuditEntry:
    """Write one entry. `actor` is who did it, as recorded (never a permission): None when
    nobody is known (a failed login for an unknown email, a throttled address). A user is
    stored as the entry's actor; the system has no row, so its name goes into the detail."""
    if actor is not None and is_system(actor):
        detail = f"{detail} (by {actor})".lstrip()
    return await AuditEntry.create(
        action=action,
        actor=None if actor is None else actor_user(actor),
        detail=detail[:DETAIL_MAX],
        address=address[:64],
        at=clock.now(),
    )


def audit_entries(actor: Actor) -> QuerySet[AuditEntry]:
    policy.require_admin(actor, "read the audit log")
    return AuditEntry.all()
