"""Which groups' medians a report estimates from a fixed sample of their leads (the package's
"Long periods")."""

from __future__ import annotations

# Above this many leads in a report's scope, medians are estimated from a fixed sample ...
EXACT_MEDIAN_LIMIT = 50_000
# ... except for the smallest groups that hold at most this many leads together.
EXACT_BESIDE_SAMPLED = 10_000
# Every SAMPLE_EVERY-th lead by id: the predicate of migration 0006's partial indexes.
SAMPLE_EVERY = 16
# The medians' names: time to assignment, to first feedback, to close.
TO_ASSIGNMENT, TO_FEEDBACK, TO_CLOSE = "assignment", "feedback", "close"


def sample_every(sampled: bool) -> int | None:
    """The sample for `db.sql.medians`: every SAMPLE_EVERY-th lead, or all of them."""
    return SAMPLE_EVERY if sampled else None


def sampled_groups(sizes: dict[int, int]) -> set[int]:
    """The groups whose medians are estimated: none while all hold at most
    EXACT_MEDIAN_LIMIT leads together; else the largest, until the others hold at most
    EXACT_BESIDE_SAMPLED (their exact medians then cost little beside the sample's)."""
    exact, sampled = sum(sizes.values()), set[int]()
    if exact <= EXACT_MEDIAN_LIMIT:
        return sampled
    for key, size in sorted(sizes.items(), key=lambda item: -item[1]):
        if exact <= EXACT_BESIDE_SAMPLED:
            break
        sampled.add(key)
        exact -= size
    return sampled
