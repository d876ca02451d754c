"""Notification e-mail: a durable queue (`notification_emails`) filled in the notification's
transaction and sent after commit by a periodic job of every instance (`send_due`).

Configuration: `configure(settings)` once at app start (`jobs.BackgroundWork`); without an SMTP
server (LEADFLOW_SMTP_URL unset) nothing is queued and nothing is sent. A module-level
configuration rather than a parameter: the notification services that queue mail are called
from every path (API, imports, automatic distribution) and should not carry settings around.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leadflow import clock
from leadflow.db.enums import EmailStatus
from leadflow.db.models import Notification, NotificationEmail, User
from leadflow.db.sql import next_ids
from leadflow.settings import Settings, SmtpServer


@dataclass(frozen=True, slots=True)
class MailSettings:
    server: SmtpServer
    sender: str  # the From header: "Leadflow <leadflow@example.com>"
    public_url: str  # the app's address for the link in the mail; "" for none


_settings: MailSettings | None = None


def configure(settings: Settings) -> None:
    """Take the instance's mail settings (None: no SMTP server, no e-mail)."""
    global _settings
    _settings = (
        None
        if settings.smtp is None
        else MailSettings(settings.smtp, settings.smtp_from, settings.public_url)
    )


def mail_settings() -> MailSettings | None:
    return _settings


# ---------------------------------------------------------------------------------------------
# Queueing (inside the notification's transaction)


async def enqueue_for(notifications: Sequence[Notification]) -> None:
    """Queue one e-mail per notification whose recipient wants e-mail (active, with an address,
    `email_notifications` on). Call it inside the transaction that creates the notifications,
    after they are inserted (they need their ids): the mail exists exactly when they do."""
    if _settings is None or not notifications:
        return
    recipients = {notification.user_id for notification in notifications}
    found = await User.filter(
        id__in=recipients, active=True, email_notifications=True, email__not=""
    ).only("id")
    wanting = {user.id for user in found}
    queued = [notification for notification in notifications if notification.user_id in wanting]
    if not queued:
        return
    at = clock.now()
    ids = await next_ids(NotificationEmail, len(queued))
    await NotificationEmail.bulk_create(
        [
            NotificationEmail(
                id=email_id,
                notification_id=notification.id,
                status=EmailStatus.PENDING,
                next_attempt_at=at,
                created_at=at,
            )
            for email_id, notification in zip(ids, queued, strict=True)
        ]
    )
