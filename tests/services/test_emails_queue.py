"""The e-mail queue's filling (services/emails.enqueue_for): with an SMTP server configured, a
notification of a recipient who wants e-mail queues one PENDING mail due at once; nobody else's
does (opted out, inactive), and without an SMTP server nothing is queued. The SMTP settings'
parsing (LEADFLOW_SMTP_URL) is here too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.db.enums import EmailStatus, NotificationKind
from leadflow.db.models import Notification, NotificationEmail, User
from leadflow.services import emails
from leadflow.settings import Settings, SettingsError, SmtpServer, parse_smtp_url
from tests.helpers import Actors

SMTP = Settings(smtp=SmtpServer("127.0.0.1", 2525))


@pytest.fixture
def mail_on() -> Iterator[None]:
    emails.configure(SMTP)
    yield
    emails.configure(Settings())


async def notify(*users: User) -> list[Notification]:
    async with in_transaction():
        rows = [
            await Notification.create(
                user=user, kind=NotificationKind.LEAD_ASSIGNED, message="Neuer Lead: X"
            )
            for user in users
        ]
        await emails.enqueue_for(rows)
    return rows


async def test_a_notification_queues_one_mail_for_a_recipient_who_wants_it(actors: Actors, mail_on):
    [notification] = await notify(actors.clerk_a.user)
    [queued] = await NotificationEmail.all()
    assert queued.notification_id == notification.id
    assert queued.status is EmailStatus.PENDING
    assert queued.attempts == 0 and queued.locked_until is None
    assert queued.next_attempt_at <= clock.now()


async def test_opted_out_and_inactive_recipients_get_no_mail(actors: Actors, mail_on):
    actors.clerk_b.user.email_notifications = False
    await actors.clerk_b.user.save()
    await notify(actors.clerk_b.user, actors.inactive_clerk.user, actors.clerk_a.user)
    queued = await NotificationEmail.all().prefetch_related("notification")
    assert [row.notification.user_id for row in queued] == [actors.clerk_a.user.id]


async def test_without_an_smtp_server_nothing_is_queued(actors: Actors):
    emails.configure(Settings())
    await notify(actors.clerk_a.user)
    assert await NotificationEmail.all().count() == 0


def test_smtp_urls():
    assert parse_smtp_url("") is None
    assert parse_smtp_url("smtp://mail.example") == SmtpServer("mail.example", 25)
    assert parse_smtp_url("smtps://u%40x:p%3Aw@mail.example") == SmtpServer(
        "mail.example", 465, "tls", "u@x", "p:w"
    )
    assert parse_smtp_url("smtp+starttls://mail.example:2525") == SmtpServer(
        "mail.example", 2525, "starttls"
    )


@pytest.mark.parametrize(
    "url", ["http://mail.example", "smtp://", "smtp://h:99999", "smtp://h/x", "smtp://h:0"]
)
def test_nonsense_smtp_urls_are_settings_errors(url: str):
    with pytest.raises(SettingsError, match="LEADFLOW_SMTP_URL"):
        parse_smtp_url(url)


def test_an_error_does_not_show_the_password():
    with pytest.raises(SettingsError) as raised:
        parse_smtp_url("smtp://user:secret@host:99999")
    assert "secret" not in str(raised.value)


def test_a_mail_links_to_the_lead_page_as_the_web_app_addresses_it():
    user = User(id=7, name="Clara Clerk", email="clara@test.example")
    notification = Notification(
        id=1, user_id=7, kind=NotificationKind.LEAD_ASSIGNED, message="Neuer Lead: X"
    )
    notification.lead_id, notification.opportunity_id = 12, None
    on = emails.MailSettings(SmtpServer("h", 25), "Leadflow <x@y>", "https://leadflow.test")
    subject, body = emails.compose(notification, user, on)
    assert subject == "Leadflow: Neuer Lead: X"
    # The API's global ID, URI-encoded (the web app's leadPath uses encodeURIComponent).
    assert "https://leadflow.test/leads/TGVhZDoxMg%3D%3D" in body
    without = emails.MailSettings(SmtpServer("h", 25), "Leadflow <x@y>", "")
    assert "http" not in emails.compose(notification, user, without)[1]
