"""The instance's webhook settings, taken once where the instance starts (the app's background
work, the CLI's database runner), as services/emails.py takes the mail settings."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.settings import DEFAULT_WEBHOOK_RETRY_SECONDS, Settings


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    allow_private: bool = False
    log_days: int = 30
    concurrency: int = 10
    timeout_seconds: float = 15.0
    poll_seconds: float = 1.0
    retry_seconds: tuple[float, ...] = DEFAULT_WEBHOOK_RETRY_SECONDS


_config = WebhookConfig()


def configure(settings: Settings) -> None:
    global _config
    _config = WebhookConfig(
        allow_private=settings.webhook_allow_private,
        log_days=settings.webhook_log_days,
        concurrency=settings.webhook_concurrency,
        timeout_seconds=settings.webhook_timeout_seconds,
        poll_seconds=settings.webhook_poll_seconds,
        retry_seconds=settings.webhook_retry_seconds,
    )


def current() -> WebhookConfig:
    return _config
