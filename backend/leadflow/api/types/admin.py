"""Types of the administration API: tokens and the audit log."""

from __future__ import annotations

from datetime import datetime

import strawberry

from leadflow.api.ids import encode_id
from leadflow.api.types.connection import Connection
from leadflow.api.types.node import Node
from leadflow.api.types.user import UserNode
from leadflow.db import models


@strawberry.type(name="ApiToken", description="An API token. The secret is shown only once.")
class ApiTokenNode(Node):
    name: str
    read_only: bool = strawberry.field(description="A read-only token may not run mutations.")
    created_at: datetime
    revoked_at: datetime | None
    user: UserNode

    @classmethod
    def from_model(cls, token: models.ApiToken) -> ApiTokenNode:
        """`token` must come with its user joined."""
        return cls(
            id=encode_id("ApiToken", token.id),
            name=token.name,
            read_only=token.read_only,
            created_at=token.created_at,
            revoked_at=token.revoked_at,
            user=UserNode.from_model(token.user),
        )


@strawberry.type(description="A security-relevant event: who did what, when, from where.")
class AuditEntry:
    id: strawberry.ID
    action: str = strawberry.field(description="e.g. login.failed, token.created.")
    actor: UserNode | None
    detail: str
    address: str = strawberry.field(description="The client's network address.")
    at: datetime

    @classmethod
    def from_model(cls, entry: models.AuditEntry) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(entry.id)),
            action=entry.action,
            actor=UserNode.optional(entry.actor),
            detail=entry.detail,
            address=entry.address,
            at=entry.at,
        )


AuditEntryConnection = Connection[AuditEntry]
