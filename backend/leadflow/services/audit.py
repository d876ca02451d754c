"""The audit log: security-relevant events (logins, tokens, user changes, refusals)."""

from __future__ import annotations

from enum import StrEnum

from tortoise.queryset import QuerySet

from leadflow.auth import policy
from leadflow.db.models import AuditEntry, User

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


async def record(
    action: AuditAction, *, actor: User | None = None, detail: str = "", address: str = ""
) -> AuditEntry:
    return await AuditEntry.create(
        action=action, actor=actor, detail=detail[:DETAIL_MAX], address=address[:64]
    )


def audit_entries(actor: User) -> QuerySet[AuditEntry]:
    policy.require_admin(actor, "read the audit log")
    return AuditEntry.all()
