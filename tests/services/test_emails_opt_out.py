"""The per-user e-mail opt-out over the real /graphql endpoint: the viewer turns their own
notification e-mail off and on (updateNotificationSettings), reads it as viewer.emailNotifications
(null for other users' details, except for admins), and an opted-out user's notifications queue
no e-mail; a read-only token cannot change it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tortoise.transactions import in_transaction

from leadflow.db.enums import NotificationKind
from leadflow.db.models import Notification, NotificationEmail, User
from leadflow.services import emails
from leadflow.services.notifications import NewNotification, create_notifications
from leadflow.settings import Settings, SmtpServer
from tests.helpers import (
    Actors,
    data_of,
    error_codes,
    gql,
    mutate_ok,
    new_campaign,
    new_leads,
)

SETTINGS = "user { id emailNotifications }"


@pytest.fixture
def mail_on() -> Iterator[None]:
    emails.configure(Settings(smtp=SmtpServer("127.0.0.1", 2525)))
    yield
    emails.configure(Settings())


async def notify(user: User) -> list[Notification]:
    async with in_transaction():
        return await create_notifications(
            [NewNotification(user.id, NotificationKind.LEAD_ASSIGNED, "Neuer Lead: X")]
        )


async def test_the_viewer_turns_their_email_off_and_nothing_is_queued(
    client: httpx.AsyncClient, actors: Actors, mail_on
):
    clerk = actors.clerk_a
    payload = await mutate_ok(
        client, clerk, "updateNotificationSettings", {"emailNotifications": False}, SETTINGS
    )
    assert payload["user"] == {"id": clerk.gid, "emailNotifications": False}
    assert (await User.get(id=clerk.user.id)).email_notifications is False

    await notify(clerk.user)
    await notify(actors.clerk_b.user)
    queued = await NotificationEmail.all().prefetch_related("notification")
    assert [row.notification.user_id for row in queued] == [actors.clerk_b.user.id]

    payload = await mutate_ok(
        client, clerk, "updateNotificationSettings", {"emailNotifications": True}, SETTINGS
    )
    assert payload["user"]["emailNotifications"] is True
    await notify(clerk.user)
    assert await NotificationEmail.all().count() == 2


async def test_the_setting_is_read_by_the_user_and_admins_only(
    client: httpx.AsyncClient, actors: Actors
):
    query = "query($id: ID!) { node(id: $id) { ... on User { emailNotifications } } }"
    for viewer, expected in [
        (actors.clerk_a, True),
        (actors.admin, True),
        (actors.manager, None),
        (actors.clerk_b, None),
    ]:
        body = await gql(client, query, {"id": actors.clerk_a.gid}, actor=viewer)
        assert data_of(body)["node"]["emailNotifications"] is expected, viewer.user.email
    own = await gql(client, "{ viewer { emailNotifications } }", actor=actors.manager)
    assert data_of(own)["viewer"]["emailNotifications"] is True


async def test_a_read_only_token_cannot_change_it(client: httpx.AsyncClient, actors: Actors):
    document = (
        "mutation { updateNotificationSettings(input: {emailNotifications: false}) "
        "{ user { id } } }"
    )
    body = await gql(client, document, actor=actors.read_only_manager)
    assert error_codes(body) == ["FORBIDDEN"]
    assert (await User.get(id=actors.manager.user.id)).email_notifications is True


async def test_an_assignment_over_the_api_queues_one_mail_per_clerk_in_its_transaction(
    client: httpx.AsyncClient, actors: Actors, mail_on
):
    campaign = await new_campaign(client, actors.manager, "Messe Süd")
    leads = await new_leads(client, actors.manager, campaign, ["Berg", "Tal", "Hof"])
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead["id"] for lead in leads], "assigneeId": actors.clerk_a.gid},
        "leads { id }",
    )
    queued = await NotificationEmail.all().prefetch_related("notification")
    assert [row.notification.user_id for row in queued] == [actors.clerk_a.user.id]
    assert queued[0].notification.message == "3 neue Leads aus Messe Süd"
