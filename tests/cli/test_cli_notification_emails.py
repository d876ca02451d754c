"""A command that writes notifications (an import's automatic distribution) queues their e-mails
like the app does: the command configures the e-mail queue from the settings."""

from __future__ import annotations

from pathlib import Path

from leadflow import cli
from leadflow.services import emails
from leadflow.settings import Settings, parse_smtp_url


def test_commands_queue_notification_emails_when_an_smtp_server_is_set(tmp_path: Path) -> None:
    smtp = parse_smtp_url("smtp://127.0.0.1:2525")
    settings = Settings(database_url=f"sqlite://{tmp_path / 'cli.db'}", smtp=smtp)
    seen: list[emails.MailSettings | None] = []
    emails.configure(Settings())  # whatever an earlier test of this process left

    async def task() -> None:
        seen.append(emails.mail_settings())

    try:
        cli._run_with_database(settings, task)
    finally:
        emails.configure(Settings())
    assert seen and seen[0] is not None
    assert seen[0].server == smtp
