"""A clock a test moves for a live server in another process (tests only).

`leadflow.clock.frozen_at` pins the time inside the test's own process; a `leadflow serve` run
by tests/fast_leadflow.py is another process. With LEADFLOW_TEST_CLOCK_FILE set, that process's
`clock.now()` runs ahead of the real time by the seconds written in the file (read on every
call, so the test moves the server's day while it runs: `move_to`). The time keeps flowing, so
two actions a moment apart are still a moment apart in the history. A block inside `frozen_at`
keeps its frozen moment.

Only tests/fast_leadflow.py installs it: the application's own command never reads the
variable, so no deployment can be given a moved clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadflow import clock

ENVIRONMENT_VARIABLE = "LEADFLOW_TEST_CLOCK_FILE"


def move_to(clock_file: Path, moment: datetime) -> None:
    """From now on, the server of `clock_file` believes it is `moment` (and time runs on)."""
    if moment.tzinfo is None:
        raise ValueError("The moved clock only takes timezone-aware moments.")
    ahead = moment - datetime.now(UTC)
    # Written whole and then renamed: the server never reads half a number.
    partial = clock_file.with_suffix(".partial")
    partial.write_text(repr(ahead.total_seconds()), encoding="utf-8")
    partial.replace(clock_file)


def install_from_environment() -> None:
    """Replace `clock.now` when the environment names a clock file (the services call
    `clock.now()` through the module, so they all see the replacement)."""
    clock_file = os.environ.get(ENVIRONMENT_VARIABLE)
    if not clock_file:
        return
    path = Path(clock_file)
    real_now = clock.now

    def moved_now() -> datetime:
        if clock._frozen.get() is not None:
            return real_now()
        try:
            ahead = float(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            ahead = 0.0
        return datetime.now(UTC) + timedelta(seconds=ahead)

    clock.now = moved_now
