"""Loaders of what a page of notifications links to: the opportunities and activities the viewer
may see, one query per page each (visibility and the row in the same SELECT).

They hang off the request's `Loaders` (one set per request, so per viewer) without a slot
there: `for_request` keeps them beside it for as long as the request's Loaders live."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from strawberry.dataloader import DataLoader

from leadflow.api.loaders import Loaders
from leadflow.api.rows import ACTIVITY_RELATIONS, OPPORTUNITY_RELATIONS
from leadflow.db.models import Activity, Opportunity, User
from leadflow.services import notifications


@dataclass
class NotificationLinks:
    opportunity: DataLoader[int, Opportunity | None]
    activity: DataLoader[int, Activity | None]


_by_request: WeakKeyDictionary[Loaders, NotificationLinks] = WeakKeyDictionary()


def for_request(loaders: Loaders, viewer: User) -> NotificationLinks:
    links = _by_request.get(loaders)
    if links is None:
        links = NotificationLinks(
            opportunity=DataLoader(load_fn=lambda ids: _visible_opportunities(viewer, ids)),
            activity=DataLoader(load_fn=lambda ids: _visible_activities(viewer, ids)),
        )
        _by_request[loaders] = links
    return links


async def _visible_opportunities(viewer: User, ids: Sequence[int]) -> list[Opportunity | None]:
    found = await notifications.visible_opportunities_by_id(viewer, ids, *OPPORTUNITY_RELATIONS)
    return [found.get(pk) for pk in ids]


async def _visible_activities(viewer: User, ids: Sequence[int]) -> list[Activity | None]:
    found = await notifications.visible_activities_by_id(viewer, ids, *ACTIVITY_RELATIONS)
    return [found.get(pk) for pk in ids]
