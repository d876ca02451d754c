"""The reminder and e-mail jobs as the app runs them (jobs.BackgroundWork in the lifespan): a
due activity becomes an ACTIVITY_DUE notification and, with LEADFLOW_SMTP_URL, one e-mail in
the SMTP server's inbox, without anybody calling the services; without an SMTP server the
sender job does not run and nothing is queued; interval 0 switches the reminders off."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpSession
from aiosmtpd.smtp import Envelope, Session

from leadflow import clock, jobs
from leadflow.db.enums import ActivityKind, EmailStatus, NotificationKind, Role
from leadflow.db.models import (
    Activity,
    Campaign,
    Contact,
    Lead,
    Notification,
    NotificationEmail,
    User,
)
from leadflow.jobs import BackgroundWork
from leadflow.services import emails
from leadflow.settings import Settings, SmtpServer
from tests.app_client import running_app
from tests.helpers import free_port


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SmtpSession, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()
    emails.configure(Settings())


async def until(condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


async def due_call() -> User:
    clerk = await User.create(email="clerk@jobs.example", name="Clara Clerk", role=Role.CLERK)
    campaign = await Campaign.create(name="Messe Süd")
    contact = await Contact.create(last_name="Berg", company="Müller GmbH")
    lead = await Lead.create(campaign=campaign, contact=contact, assignee=clerk)
    await Activity.create(
        kind=ActivityKind.CALL,
        due_at=clock.now() - timedelta(minutes=1),
        assignee=clerk,
        lead=lead,
        created_by=clerk,
    )
    return clerk


async def test_a_due_activity_is_announced_and_mailed_by_the_running_app(
    database_url: str, inbox: tuple[Inbox, int]
):
    handler, port = inbox
    settings = Settings(
        database_url=database_url,
        reminder_interval_seconds=0.1,
        email_send_interval_seconds=0.1,
        smtp=SmtpServer("127.0.0.1", port),
    )
    async with running_app(settings):
        clerk = await due_call()

        async def mailed() -> bool:
            return await NotificationEmail.filter(status=EmailStatus.SENT).exists()

        await until(mailed)
        # More rounds of both jobs change nothing.
        await asyncio.sleep(0.5)
        [note] = await Notification.filter(kind=NotificationKind.ACTIVITY_DUE)
        assert note.user_id == clerk.id and note.message == "Anruf fällig: Müller GmbH"
        [envelope] = handler.envelopes
        assert envelope.rcpt_tos == [clerk.email]
        assert await NotificationEmail.all().count() == 1


async def test_without_smtp_there_is_no_sender_and_nothing_queued(database_url: str):
    settings = Settings(database_url=database_url, reminder_interval_seconds=0.1)
    async with running_app(settings):
        names = {task.get_name() for task in asyncio.all_tasks()}
        assert jobs.REMINDERS_TASK_NAME in names and jobs.EMAIL_TASK_NAME not in names
        await due_call()

        async def announced() -> bool:
            return await Notification.filter(kind=NotificationKind.ACTIVITY_DUE).exists()

        await until(announced)
        assert await NotificationEmail.all().count() == 0


def test_interval_zero_switches_the_jobs_off():
    work = BackgroundWork(
        Settings(
            prune_interval_seconds=0,
            import_watchdog_seconds=0,
            reminder_interval_seconds=0,
            email_send_interval_seconds=0,
            smtp=SmtpServer("127.0.0.1", 25),
        )
    )
    names = {job.name for job in work._jobs}
    assert jobs.REMINDERS_TASK_NAME not in names and jobs.EMAIL_TASK_NAME not in names
    emails.configure(Settings())
