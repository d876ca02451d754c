"""Inputs about campaigns."""

from __future__ import annotations

from datetime import date

import strawberry


@strawberry.input
class CreateCampaignInput:
    name: str = strawberry.field(description="Unique name, at most 200 characters.")
    description: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
