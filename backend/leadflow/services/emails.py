"""Notification e-mail: a durable queue (`notification_emails`) filled in the notification's
transaction and sent after commit by a periodic job of every instance (`send_due`).

Configuration: `configure(settings)` once at app start (`jobs.BackgroundWork`); without an SMTP
server (LEADFLOW_SMTP_URL unset) nothing is queued and nothing is sent. A module-level
configuration rather than a parameter: the notification services that queue mail are called
from every path (API, imports, automatic distribution) and should not carry settings around.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import parseaddr
from urllib.parse import quote

import aiosmtplib
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from leadflow import clock, i18n
from leadflow.db.enums import EmailStatus
from leadflow.db.models import Notification, NotificationEmail, User
from leadflow.db.sql import is_postgres, next_ids
from leadflow.global_ids import encode_id
from leadflow.settings import Settings, SmtpServer


@dataclass(frozen=True, slots=True)
class MailSettings:
    server: SmtpServer
    sender: str  # the From header: "Leadflow <leadflow@example.com>"
    public_url: str  # the app's address for the link in the mail; "" for none


_settings: MailSettings | None = None
# The mails' language: the product's, the one the stored notification messages are written in.
MAIL_LANGUAGE = "de"


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


# ---------------------------------------------------------------------------------------------
# Sending (the periodic job of every instance, after the claim committed)
#
# Never twice for one notification, at the price of at most once when delivery is uncertain:
# - a claim (one committed transaction: FOR UPDATE SKIP LOCKED on PostgreSQL, IMMEDIATE on
#   SQLite) sets `locked_until` and counts the attempt, so no other instance takes the row;
# - the outcome is written with a compare-and-set on (PENDING, the claimed attempt number);
# - a failure the server answered (refused connection, login, sender, recipient, or the
#   message with a 4xx/5xx) is certainly undelivered and retried with backoff;
# - an uncertain one (the connection broke or timed out after the message was handed over, or
#   the instance died between claiming and recording: its lease ran out) is marked FAILED and
#   never retried, since the server may have accepted the mail. A lost reminder mail is the
#   smaller harm than a duplicate, and the notification itself is in the app either way.

# Longer than one delivery can take (SMTP_TIMEOUT per command, a handful of commands).
LEASE = timedelta(minutes=10)
SMTP_TIMEOUT = 30.0
# Mails claimed per round and instance; the rest waits for the next round (seconds later).
BATCH = 50
# The wait after the 1st, 2nd, ... failed attempt; the attempt after the last wait is the last.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
INTERRUPTED = "delivery interrupted (lease expired); not retried, it may have been delivered"

log = logging.getLogger("leadflow.emails")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed mail: the row, the attempt it is (the compare-and-set's token), its text."""

    email_id: int
    attempt: int
    recipient: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Outcome:
    delivered: bool
    error: str = ""
    retry: bool = False  # certainly undelivered and worth another attempt


@dataclass
class SendRound:
    sent: int = 0
    retried: int = 0
    failed: int = 0


async def send_due(limit: int = BATCH) -> SendRound:
    """One round of the sender job: give up interrupted deliveries, claim due mails, send
    them over one SMTP connection (outside any transaction), record each outcome. Mails not
    tried before half the lease has passed are released for the next round."""
    result = SendRound()
    settings = _settings
    if settings is None:
        return result
    result.failed += await _give_up_interrupted()
    claimed = await _claim(limit)
    deadline = time.monotonic() + LEASE.total_seconds() / 2
    smtp: aiosmtplib.SMTP | None = None
    try:
        for position, outgoing in enumerate(claimed):
            if time.monotonic() > deadline:
                await _release(claimed[position:])
                break
            if smtp is None or not smtp.is_connected:
                smtp = _client(settings)
                try:
                    await smtp.connect()
                except (aiosmtplib.SMTPException, OSError) as error:
                    # No server to talk to: none of the rest was sent; all are retried.
                    unreachable = Outcome(False, _describe(error), retry=True)
                    for rest in claimed[position:]:
                        _count(result, rest, unreachable, await _record(rest, unreachable))
                    break
            outcome = await _deliver(smtp, settings, outgoing)
            _count(result, outgoing, outcome, await _record(outgoing, outcome))
    finally:
        if smtp is not None:
            await _close(smtp)
    return result


def _count(result: SendRound, outgoing: Outgoing, outcome: Outcome, recorded: bool) -> None:
    if not recorded:
        log.warning("E-mail %d: its outcome came after its lease ran out", outgoing.email_id)
    elif outcome.delivered:
        result.sent += 1
    elif outcome.retry and outgoing.attempt < MAX_ATTEMPTS:
        result.retried += 1
    else:
        result.failed += 1


async def _release(untried: Sequence[Outgoing]) -> None:
    """Claimed mails this round had no time for: unclaimed again, the attempt not counted."""
    for outgoing in untried:
        await NotificationEmail.filter(
            id=outgoing.email_id, status=EmailStatus.PENDING, attempts=outgoing.attempt
        ).update(locked_until=None, attempts=outgoing.attempt - 1)


async def _give_up_interrupted() -> int:
    """Mails whose claim's lease ran out without an outcome: their instance died or hung
    mid-delivery; FAILED (see the section's comment)."""
    return await NotificationEmail.filter(
        status=EmailStatus.PENDING, locked_until__lt=clock.now()
    ).update(status=EmailStatus.FAILED, locked_until=None, last_error=INTERRUPTED)


async def _claim(limit: int) -> list[Outgoing]:
    now = clock.now()
    async with in_transaction():
        due = NotificationEmail.filter(
            status=EmailStatus.PENDING, next_attempt_at__lte=now, locked_until=None
        ).order_by("next_attempt_at", "id")
        if is_postgres():
            # Rows another instance is claiming right now are passed over, not waited for.
            due = due.select_for_update(skip_locked=True)
        rows = list(await due.limit(limit))
        if not rows:
            return []
        ids = [row.id for row in rows]
        # Guarded as well: only rows still unclaimed (the lock or SQLite's IMMEDIATE
        # transaction makes that all of them).
        await NotificationEmail.filter(
            id__in=ids, status=EmailStatus.PENDING, locked_until=None
        ).update(locked_until=now + LEASE, attempts=F("attempts") + 1)
        return await _prepare(rows, now)


async def _prepare(rows: Sequence[NotificationEmail], now: datetime) -> list[Outgoing]:
    """The mails of the claimed rows; a recipient who no longer wants mail (opted out,
    deactivated) gets none: their row is FAILED with the reason."""
    notifications = {
        notification.id: notification
        for notification in await Notification.filter(
            id__in=[row.notification_id for row in rows]
        ).prefetch_related("user")
    }
    outgoing: list[Outgoing] = []
    unwanted: list[int] = []
    for row in rows:
        notification = notifications[row.notification_id]
        user = notification.user
        if not (user.active and user.email_notifications and user.email):
            unwanted.append(row.id)
            continue
        subject, body = compose(notification, user, _settings)
        outgoing.append(Outgoing(row.id, row.attempts + 1, user.email, subject, body))
    if unwanted:
        await NotificationEmail.filter(id__in=unwanted).update(
            status=EmailStatus.FAILED,
            locked_until=None,
            last_error="the recipient no longer wants e-mail",
        )
    return outgoing


def compose(
    notification: Notification, user: User, settings: MailSettings | None
) -> tuple[str, str]:
    """Subject and plain-text body, in German (the stored message's language)."""
    subject = _text("email.notification.subject", message=notification.message)
    parts = [
        _text("email.notification.greeting", name=user.name),
        notification.message,
    ]
    link = _link(notification, settings.public_url if settings else "")
    if link:
        parts.append(_text("email.notification.link", link=link))
    parts.append(_text("email.notification.footer"))
    return subject, "\n\n".join(parts) + "\n"


def _link(notification: Notification, public_url: str) -> str:
    """Where the mail's reader continues: the lead's or the opportunity's page, else the app."""
    if not public_url:
        return ""
    if notification.lead_id is not None:
        return f"{public_url}/leads/{quote(encode_id('Lead', notification.lead_id), safe='')}"
    if notification.opportunity_id is not None:
        global_id = encode_id("Opportunity", notification.opportunity_id)
        return f"{public_url}/opportunities/{quote(global_id, safe='')}"
    return f"{public_url}/"


def _text(key: str, **values: object) -> str:
    return i18n.text(MAIL_LANGUAGE, key).format(**values)


def _client(settings: MailSettings) -> aiosmtplib.SMTP:
    server = settings.server
    return aiosmtplib.SMTP(
        hostname=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        use_tls=server.security == "tls",
        start_tls=server.security == "starttls",
        timeout=SMTP_TIMEOUT,
    )


async def _deliver(smtp: aiosmtplib.SMTP, settings: MailSettings, outgoing: Outgoing) -> Outcome:
    """One mail over the open connection (MAIL, RCPT, DATA). Which step failed says whether
    the server may have the mail (see the section's comment)."""
    try:
        message = _message(settings, outgoing)
    except ValueError as error:
        # A header the mail library refuses (an address it cannot write): no retry helps.
        return Outcome(False, _describe(error))
    try:
        await smtp.mail(parseaddr(settings.sender)[1])
        await smtp.rcpt(outgoing.recipient)
    except (aiosmtplib.SMTPException, OSError) as error:
        # Nothing was handed over yet: certainly undelivered. The transaction is reset for the
        # next mail (or the connection closed, and the next mail reconnects).
        await _reset(smtp)
        return _refused(error)
    try:
        await smtp.data(message.as_bytes(policy=SMTP_POLICY))
    except aiosmtplib.SMTPResponseException as error:
        # The server answered the message with an error: it did not take it.
        await _reset(smtp)
        return _refused(error)
    except (aiosmtplib.SMTPException, OSError) as error:
        smtp.close()
        return Outcome(False, f"uncertain delivery, not retried: {_describe(error)}")
    return Outcome(True)


def _message(settings: MailSettings, outgoing: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = outgoing.recipient
    # One line: a name from an import may hold line breaks, which a header must not.
    message["Subject"] = " ".join(outgoing.subject.split())
    message.set_content(outgoing.body)
    return message


async def _reset(smtp: aiosmtplib.SMTP) -> None:
    if not smtp.is_connected:
        return
    try:
        await smtp.rset()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()


def _refused(error: Exception) -> Outcome:
    # A permanent answer (5xx: unknown recipient, rejected sender) will not change on retry.
    permanent = isinstance(error, aiosmtplib.SMTPResponseException) and error.code >= 500
    return Outcome(False, _describe(error), retry=not permanent)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


async def _close(smtp: aiosmtplib.SMTP) -> None:
    if smtp.is_connected:
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError):
            smtp.close()


async def _record(outgoing: Outgoing, outcome: Outcome) -> bool:
    """The outcome, by compare-and-set on the claim (PENDING, this attempt): False when the
    row moved on without us (our lease ran out and it was given up)."""
    now = clock.now()
    claimed = NotificationEmail.filter(
        id=outgoing.email_id, status=EmailStatus.PENDING, attempts=outgoing.attempt
    ).exclude(locked_until=None)
    if outcome.delivered:
        changed = await claimed.update(
            status=EmailStatus.SENT, sent_at=now, locked_until=None, last_error=""
        )
    elif outcome.retry and outgoing.attempt < MAX_ATTEMPTS:
        changed = await claimed.update(
            next_attempt_at=now + BACKOFF[outgoing.attempt - 1],
            locked_until=None,
            last_error=outcome.error,
        )
    else:
        changed = await claimed.update(
            status=EmailStatus.FAILED, locked_until=None, last_error=outcome.error
        )
    return changed == 1
