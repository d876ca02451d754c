"""The instance's data-protection settings, taken once where the instance starts (the app's
background work, the CLI's database runner), as services/webhooks/config.py does."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.settings import Settings


@dataclass(frozen=True, slots=True)
class PrivacyConfig:
    # "" : the generated key stored in the database (services/privacy/suppression.py).
    suppression_key: str = ""
    retention_days_unsuccessful: int | None = None
    contact_export_managers: bool = False


_config = PrivacyConfig()


def configure(settings: Settings) -> None:
    global _config
    _config = PrivacyConfig(
        suppression_key=settings.suppression_key,
        retention_days_unsuccessful=settings.retention_days_unsuccessful,
        contact_export_managers=settings.contact_export_managers,
    )


def current() -> PrivacyConfig:
    return _config
