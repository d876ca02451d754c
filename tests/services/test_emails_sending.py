"""The notification e-mail sender (services/emails.send_due) against a real SMTP server
(aiosmtpd on loopback): a queued mail arrives once, to the recipient, with the German text and
the link; a server that is down means a retry after the backoff, then one delivery; a refused
recipient fails at once; two rounds at the same time (PostgreSQL: two connections) send each
mail once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServerSession
from aiosmtpd.smtp import AuthResult, Envelope, Session
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.db.enums import EmailStatus, NotificationKind
from leadflow.db.models import Notification, NotificationEmail, User
from leadflow.services import emails
from leadflow.settings import Settings, SmtpServer
from tests.helpers import Actors, free_port

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


class Inbox:
    """aiosmtpd's handler: keeps what it accepted; refuses recipients listed in `refuse`."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: SmtpServerSession, session: Session, envelope: Envelope, address: str, _
    ) -> str:
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SmtpServerSession, session: Session, envelope: Envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(envelope.content, _class=EmailMessage, policy=policy.default)
            for envelope in self.envelopes
        ]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def smtp_server(port: int, inbox: Inbox) -> Iterator[Controller]:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mail_on(port: int) -> Iterator[None]:
    emails.configure(
        Settings(
            smtp=SmtpServer("127.0.0.1", port),
            smtp_from="Leadflow <noreply@leadflow.test>",
            public_url="https://leadflow.test",
        )
    )
    yield
    emails.configure(Settings())


async def notify(user: User, message: str = "Neuer Lead: Müller GmbH") -> Notification:
    async with in_transaction():
        notification = await Notification.create(
            user=user, kind=NotificationKind.LEAD_ASSIGNED, message=message, created_at=clock.now()
        )
        await emails.enqueue_for([notification])
    return notification


async def send_at(moment: datetime) -> emails.SendRound:
    with clock.frozen_at(moment):
        return await emails.send_due()


async def test_a_queued_mail_arrives_once_with_its_text(
    actors: Actors, mail_on, smtp_server, inbox: Inbox
):
    clerk = actors.clerk_a.user
    with clock.frozen_at(T0):
        await notify(clerk)

    first = await send_at(T0)
    again = await send_at(T0 + timedelta(hours=1))

    assert (first.sent, again.sent) == (1, 0)
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == [clerk.email]
    assert envelope.mail_from == "noreply@leadflow.test"
    [mail] = inbox.messages()
    assert mail["To"] == clerk.email
    assert mail["Subject"] == "Leadflow: Neuer Lead: Müller GmbH"
    body = mail.get_content()
    assert f"Hallo {clerk.name}," in body
    assert "Neuer Lead: Müller GmbH" in body
    assert "https://leadflow.test/" in body
    [row] = await NotificationEmail.all()
    assert (row.status, row.attempts, row.locked_until) == (EmailStatus.SENT, 1, None)


async def test_a_server_that_is_down_means_a_retry_after_the_backoff_then_one_mail(
    actors: Actors, mail_on, port: int, inbox: Inbox
):
    with clock.frozen_at(T0):
        await notify(actors.clerk_a.user)

    down = await send_at(T0)
    [row] = await NotificationEmail.all()
    assert down.retried == 1
    assert row.status is EmailStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at == T0 + emails.BACKOFF[0]
    assert row.last_error

    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        too_early = await send_at(T0 + emails.BACKOFF[0] - timedelta(seconds=1))
        assert too_early.sent == 0 and inbox.envelopes == []
        up = await send_at(T0 + emails.BACKOFF[0])
        later = await send_at(T0 + timedelta(days=1))
    finally:
        controller.stop()
    assert (up.sent, later.sent) == (1, 0)
    assert len(inbox.envelopes) == 1
    await row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (EmailStatus.SENT, 2, "")


async def test_after_the_last_attempt_the_mail_is_failed(actors: Actors, mail_on):
    with clock.frozen_at(T0):
        await notify(actors.clerk_a.user)
    moment = T0
    for wait in (*emails.BACKOFF, timedelta(0)):
        await send_at(moment)
        moment += wait
    [row] = await NotificationEmail.all()
    assert (row.status, row.attempts) == (EmailStatus.FAILED, emails.MAX_ATTEMPTS)
    assert (await send_at(moment + timedelta(days=2))).sent == 0


async def test_a_refused_recipient_fails_at_once(
    actors: Actors, mail_on, smtp_server, inbox: Inbox
):
    inbox.refuse.add(actors.clerk_a.user.email)
    with clock.frozen_at(T0):
        await notify(actors.clerk_a.user)
    result = await send_at(T0)
    [row] = await NotificationEmail.all()
    assert result.failed == 1 and row.status is EmailStatus.FAILED
    assert "550" in row.last_error


async def test_a_recipient_who_opted_out_after_queueing_gets_nothing(
    actors: Actors, mail_on, smtp_server, inbox: Inbox
):
    with clock.frozen_at(T0):
        await notify(actors.clerk_a.user)
    await User.filter(id=actors.clerk_a.user.id).update(email_notifications=False)
    await send_at(T0)
    [row] = await NotificationEmail.all()
    assert row.status is EmailStatus.FAILED and inbox.envelopes == []


async def test_an_interrupted_delivery_is_given_up_not_repeated(
    actors: Actors, mail_on, smtp_server, inbox: Inbox
):
    with clock.frozen_at(T0):
        await notify(actors.clerk_a.user)
        # An instance claims the mail and dies before recording what happened.
        [claimed] = await emails._claim(10)
    assert claimed.attempt == 1
    result = await send_at(T0 + emails.LEASE + timedelta(seconds=1))
    [row] = await NotificationEmail.all()
    assert result.failed == 1 and result.sent == 0
    assert row.status is EmailStatus.FAILED and row.last_error == emails.INTERRUPTED
    assert inbox.envelopes == []


async def test_two_rounds_at_once_send_each_mail_once(
    actors: Actors, mail_on, smtp_server, inbox: Inbox
):
    clerks = [actors.clerk_a.user, actors.clerk_b.user, actors.manager.user, actors.admin.user]
    with clock.frozen_at(T0):
        for clerk in clerks:
            for number in range(5):
                await notify(clerk, f"Nachricht {number}")

    with clock.frozen_at(T0):
        rounds = await asyncio.gather(emails.send_due(limit=7), emails.send_due(limit=7))
        while (await emails.send_due(limit=7)).sent:
            pass

    assert sum(result.sent for result in rounds) >= 7
    assert len(inbox.envelopes) == 20
    delivered = sorted((m["To"], m.get_content()) for m in inbox.messages())
    assert len(set(delivered)) == 20
    statuses = await NotificationEmail.all().values_list("status", flat=True)
    assert set(statuses) == {EmailStatus.SENT}


async def test_a_refused_recipient_does_not_stop_the_next_mail_of_the_round(
    actors: Actors, mail_on, smtp_server, inbox: Inbox
):
    inbox.refuse.add(actors.clerk_a.user.email)
    with clock.frozen_at(T0):
        await notify(actors.clerk_a.user)
        await notify(actors.clerk_b.user)
    result = await send_at(T0)
    assert (result.sent, result.failed) == (1, 1)
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == [actors.clerk_b.user.email]


async def test_mails_a_round_has_no_time_for_are_released_untried(
    actors: Actors, mail_on, smtp_server, inbox: Inbox, monkeypatch: pytest.MonkeyPatch
):
    # No time at all: every claimed mail goes back to the queue as it was.
    monkeypatch.setattr(emails, "LEASE", timedelta(0))
    with clock.frozen_at(T0):
        await notify(actors.clerk_a.user)
    result = await send_at(T0)
    [row] = await NotificationEmail.all()
    assert (result.sent, result.retried, result.failed) == (0, 0, 0)
    assert (row.status, row.attempts, row.locked_until) == (EmailStatus.PENDING, 0, None)
    assert inbox.envelopes == []


async def test_a_message_with_line_breaks_is_sent_with_a_one_line_subject(
    actors: Actors, mail_on, smtp_server, inbox: Inbox
):
    with clock.frozen_at(T0):
        await notify(actors.clerk_a.user, "Neuer Lead: Müller\r\nBcc: victim@example.com GmbH")
    assert (await send_at(T0)).sent == 1
    [mail] = inbox.messages()
    assert mail["Subject"] == "Leadflow: Neuer Lead: Müller Bcc: victim@example.com GmbH"
    assert mail["Bcc"] is None
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == [actors.clerk_a.user.email]


# Loopback in a test: plain-text AUTH is what this test wants to see.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_the_url_s_user_and_password_log_in(actors: Actors, port: int, inbox: Inbox):
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        logins.append((auth_data.login, auth_data.password))
        ok = (auth_data.login, auth_data.password) == (b"leadflow@x", b"p:w")
        return AuthResult(success=ok)

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        emails.configure(
            Settings.from_env({"LEADFLOW_SMTP_URL": f"smtp://leadflow%40x:p%3Aw@127.0.0.1:{port}"})
        )
        with clock.frozen_at(T0):
            await notify(actors.clerk_a.user)
        assert (await send_at(T0)).sent == 1
    finally:
        controller.stop()
        emails.configure(Settings())
    assert logins == [(b"leadflow@x", b"p:w")]
    assert len(inbox.envelopes) == 1
