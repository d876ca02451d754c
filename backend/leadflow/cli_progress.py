"""A progress bar for long command-line tasks (rich), quiet when output is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def import_progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """Yields `on_progress(rows_done, rows_expected)`; draws a bar on a terminal (stderr)."""
    if not sys.stderr.isatty():
        yield lambda _done, _expected: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeRemainingColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=None)

        def on_progress(done: int, expected: int) -> None:
            progress.update(task, completed=done, total=max(expected, done))

        yield on_progress
