"""The NEW tab's search by its two paths, interleaved on one database (issue 16): the contacts
first and then their leads (`lead_search.matching_leads` without `new_only`, what the NEW tab
did before migration 0023), and the NEW leads' own text (`new_only`, migration 0023). Each
repetition runs the page (25 newest, the API's columns and joins) and its count through the
ORM in this process, as the API does, one path after the other; it prints the medians and
checks that both paths give the same page and count. No HTTP, no GraphQL: the difference is
the database's work.

    .venv/bin/python bench/search_paths.py --database postgres://postgres@127.0.0.1:5432/db
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from tortoise.queryset import QuerySet

from leadflow.api.pagination import fetch_ordered_page
from leadflow.api.rows import LEAD_COLUMNS
from leadflow.db.enums import LeadStatus, Role
from leadflow.db.lead_status import status_condition
from leadflow.db.lifecycle import database
from leadflow.db.models import Lead, User
from leadflow.services import lead_lists, lead_search

PAGE_SIZE = 25


def new_tab(manager: User, search: str, new_only: bool) -> QuerySet[Lead]:
    leads = lead_search.matching_leads(manager, Lead.all(), search, new_only=new_only)
    return leads.filter(status_condition(LeadStatus.NEW))


async def page_and_count(matching: QuerySet[Lead], manager: User) -> tuple[list[int], int]:
    ordering = lead_lists.lead_ordering(manager, lead_lists.LeadOrder.NEWEST)
    page, total = await asyncio.gather(
        fetch_ordered_page(matching, ordering, PAGE_SIZE, None, columns=LEAD_COLUMNS),
        matching.count(),
    )
    return [row["id"] for row in page.rows], total


async def run(url: str, searches: list[str], requests: int) -> None:
    async with database(url):
        manager = await User.filter(role=Role.MANAGER).order_by("id").first()
        assert manager is not None, "no manager in the database"
        for search in searches:
            timings: dict[bool, list[float]] = {False: [], True: []}
            answers: dict[bool, tuple[list[int], int]] = {}
            for repetition in range(requests + 1):  # the first is a warm-up
                for new_only in (False, True):
                    started = time.perf_counter()
                    answers[new_only] = await page_and_count(
                        new_tab(manager, search, new_only), manager
                    )
                    if repetition:
                        timings[new_only].append((time.perf_counter() - started) * 1000)
            same = "same page and count" if answers[False] == answers[True] else "DIFFERENT"
            print(
                f"{search!r}: totalCount {answers[True][1]:,}; contacts first "
                f"{statistics.median(timings[False]):.1f} ms, NEW leads' text "
                f"{statistics.median(timings[True]):.1f} ms (medians of {requests}); {same}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, metavar="URL", help="PostgreSQL URL")
    parser.add_argument("--requests", type=int, default=20, help="per path and search (20)")
    parser.add_argument(
        "--search", action="append", help='repeatable (default: "müller", "a.krueger")'
    )
    args = parser.parse_args()
    asyncio.run(run(args.database, args.search or ["müller", "a.krueger"], args.requests))


if __name__ == "__main__":
    main()
