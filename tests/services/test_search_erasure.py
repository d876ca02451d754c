"""SQLite's search index (FTS5, migration 0019) keeps a changed row's old trigrams in its
segments until they are merged: the erasures purge them (`db.sql.purge_contact_search`), a
retention round once per page of erased contacts rather than once per contact. (The single
erasure's test is in test_lead_search.py.)"""

from __future__ import annotations

import pytest
from tortoise import connections

from leadflow.db.models import Campaign
from leadflow.services.privacy import retention
from tests.helpers import Actors
from tests.services.test_retention import T0, lost, person, retention_setting, round_at

__all__ = ["retention_setting"]  # the fixture, used by name


async def _trigrams_stored(values: list[str]) -> set[str]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT block FROM contact_search_data"
    )
    blobs = b"".join(bytes(row["block"]) for row in rows if row["block"] is not None)
    trigrams = {
        value.lower()[start : start + 3] for value in values for start in range(len(value) - 2)
    }
    return {trigram for trigram in trigrams if trigram.encode() in blobs}


async def test_a_retention_round_purges_the_index_once_per_page(
    actors: Actors, backend: str, retention_setting: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "sqlite":
        return
    campaign = await Campaign.create(name="Alt", created_by=actors.manager.user)
    names = ["Qxzvjk", "Wyqpfz"]  # trigrams no other contact has
    for name in names:
        await lost(await person(name), campaign, 400)
    assert await _trigrams_stored(names)  # the check can see them

    purges: list[None] = []
    purge = retention.purge_contact_search

    async def counted() -> None:
        purges.append(None)
        await purge()

    monkeypatch.setattr(retention, "purge_contact_search", counted)
    report = await round_at(T0, dry_run=False)

    assert len(report.contacts) == 2
    assert len(purges) == 1
    assert await _trigrams_stored(names) == set()
