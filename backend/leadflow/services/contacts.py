"""Contacts, the people leads and opportunities are about: looked up and read under the
visibility rule of the policy."""

from __future__ import annotations

from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db.models import Contact
from leadflow.errors import DomainError, ErrorCode


async def get_contact(actor: Actor, contact_id: int, field: str = "id") -> Contact:
    """One contact by ID, under the policy's one contact rule (`policy.contact_scope`)."""
    missing = DomainError(ErrorCode.NOT_FOUND, "This contact does not exist.", [field])
    return await policy.find_contact(actor, contact_id, missing)


def email_as_read_by(viewer: Actor, email: str | None, email_key: str | None) -> str | None:
    """A contact's email as the viewer reads it (partners: the normalised form, which tells a
    known person from a new one no more than the form they sent)."""
    return policy.contact_email_for(viewer, email, email_key)
