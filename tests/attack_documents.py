"""Documents of the security review's attacks (issue 10), for tests and bench/abuse.py."""

from __future__ import annotations

import time


def fragments_in_one_selection(count: int) -> str:
    """The review's CPU stall: graphql-core compares the fields of every pair of fragments
    spread into one selection (300 took 0.5-2 s to validate). A long comment makes each copy
    new to the document cache."""
    definitions = " ".join(f"fragment F{n} on Lead {{ contact {{ id }} }}" for n in range(count))
    spreads = " ".join(f"...F{n}" for n in range(count))
    comment = f"# {time.monotonic_ns()} " + "x" * 2_000
    return f"{comment}\n{{ myTasks {{ edges {{ node {{ {spreads} }} }} }} }} {definitions}"


def aliased_searches(count: int) -> str:
    """Each search reads every lead of a big table (no index serves `%word%`)."""
    searches = " ".join(
        f's{n}: leads(first: 1, filter: {{search: "x{n}{time.monotonic_ns()}"}}) {{ totalCount }}'
        for n in range(count)
    )
    return "{ " + searches + " }"
