"""A user's own notification settings: whether notifications also come by e-mail
(`User.email_notifications`, on by default; e-mail is sent only when the instance has an SMTP
server, see services/emails.py)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from leadflow.auth.actors import Actor, actor_user
from leadflow.db.models import User
from leadflow.errors import DomainError, ErrorCode


async def update_notification_settings(actor: Actor, *, email_notifications: bool) -> User:
    """The actor's own setting; returns the user as stored. E-mails already queued follow the
    setting too: the sender checks it again before sending."""
    user = actor_user(actor)
    if user is None:
        raise DomainError(ErrorCode.INVALID, "The system has no notification settings.", ["input"])
    async with in_transaction():
        await User.filter(id=user.id).update(email_notifications=email_notifications)
        return await User.get(id=user.id)
