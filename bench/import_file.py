"""Benchmark the lead import (`leadflow import`) against a raw executemany floor (a benchmark,
not a timed test).

It writes a messy lead file of 100,000 rows with tests/messy_leads.py (as Excel writes it on a
German Windows: ';', Windows-1252, German headers, with bad, duplicate and empty rows) and runs
three subprocesses, timed one after the other:

- `leadflow import FILE --campaign NAME --dry-run`: reading, validation and deduplication
  against the (empty) database, nothing written;
- `leadflow import FILE --campaign NAME --create-campaign`: the real import, as an operator
  runs it, into a fresh, migrated database;
- bench/raw_import.py: the same file read with the csv module, and the rows the import creates
  inserted with plain executemany (contacts, leads, lead_events) into a second fresh, migrated
  database, in one transaction, without validation or deduplication.

The databases are SQLite files in a temporary directory, or new databases on a PostgreSQL
server that are dropped at the end. Before reporting, it checks that the import reported
exactly what the generator expects and that both databases hold the same number of contacts,
leads and events. It prints wall time, rows per second, CPU time and each child's peak RSS
(ru_maxrss of the child, from wait4).

    .venv/bin/python bench/import_file.py                        # SQLite
    .venv/bin/python bench/import_file.py --postgres postgres://postgres@127.0.0.1:5432/postgres

See bench/README.md for what the figures mean and the latest results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from rich.console import Console
from rich.table import Table
from tortoise.exceptions import BaseORMException

from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import Campaign, Contact, Lead, LeadEvent, LeadImport

if TYPE_CHECKING:
    from tests.messy_leads import ExpectedImport

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
SCRIPT = Path(sys.executable).with_name("leadflow")
LEADFLOW = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "leadflow.cli"]
CAMPAIGN = "Messe Hannover 2024"
SEED = 20240601
RSS_GOAL_MB = 300
# Runs a command; writes its exit code, wall time, CPU time and peak RSS (wait4) to a file.
# A small process of its own, because Linux starts a child's ru_maxrss at the high-water mark
# of the process that spawned it (recorded at exec): spawned by this benchmark, which holds the
# 100,000-row bookkeeping, every child would report at least the benchmark's peak.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
figures = {
    "exit": os.waitstatus_to_exitcode(status),
    "wall": time.perf_counter() - started,
    "cpu": usage.ru_utime + usage.ru_stime,
    "max_rss_kb": usage.ru_maxrss,
}
with open(sys.argv[1], "w") as out:
    json.dump(figures, out)
"""

console = Console()


class BenchError(Exception):
    """The benchmark cannot go on; printed as one message."""


# --- The file -------------------------------------------------------------------------------


def write_sample(path: Path, rows: int, seed: int) -> ExpectedImport:
    # The generator lives with the tests; the repository root makes `tests` importable.
    sys.path.insert(0, str(ROOT))
    from tests.messy_leads import FileVariant, write_messy_leads

    variant = FileVariant(separator=";", encoding="cp1252", language="de")
    return write_messy_leads(path, rows=rows, seed=seed, variant=variant)


# --- Databases ------------------------------------------------------------------------------


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def admin_execute(admin_url: str, sql: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(admin_url), timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def fresh_database(postgres_url: str | None, tmp: Path, name: str) -> AsyncIterator[str]:
    """A migrated, empty Leadflow database that is gone afterwards."""
    if postgres_url is None:
        url = f"sqlite://{tmp / f'{name}.db'}"
        await migrate(url)
        yield url
        return
    database_name = f"leadflow_bench_{name}_{uuid.uuid4().hex[:10]}"
    await admin_execute(postgres_url, f'CREATE DATABASE "{database_name}"')
    try:
        url = urlunsplit(urlsplit(postgres_url)._replace(path=f"/{database_name}"))
        await migrate(url)
        yield url
    finally:
        await admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')


async def stored_counts(url: str) -> dict[str, int]:
    async with database(url):
        return {
            "contacts": await Contact.all().count(),
            "leads": await Lead.all().count(),
            "lead events": await LeadEvent.all().count(),
            "imports": await LeadImport.all().count(),
        }


async def create_campaign(url: str) -> int:
    async with database(url):
        return (await Campaign.create(name=CAMPAIGN)).id


async def import_counts(url: str) -> dict[str, int]:
    async with database(url):
        record = await LeadImport.get()
        return {
            "rows_processed": record.rows_processed,
            "leads_created": record.leads_created,
            "contacts_reused": record.contacts_reused,
            "duplicates_skipped": record.duplicates_skipped,
            "rows_rejected": record.rows_rejected,
            "empty_rows": record.empty_rows,
        }


# --- Children -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    label: str
    rows: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    output: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.wall_seconds


def run_child(
    label: str, argv: list[str], env: dict[str, str], log: Path, rows: int, limit: float
) -> Run:
    """Run a command to its end through the launcher; its output goes to the log file."""
    figures_file = log.with_suffix(".json")
    with log.open("wb") as output:
        launcher = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(figures_file), *argv],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group, to stop the command with it
        )
        try:
            launcher.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{label}: still running after {limit:g} s") from None
        finally:
            if launcher.poll() is None:
                os.killpg(launcher.pid, signal.SIGKILL)
                launcher.wait()
    text = log.read_text(encoding="utf-8", errors="replace")
    if launcher.returncode != 0 or not figures_file.exists():
        raise BenchError(f"{label}: the launcher failed:\n{text[-3000:]}")
    figures = json.loads(figures_file.read_text())
    if figures["exit"] != 0:
        raise BenchError(f"{label} exited with {figures['exit']}:\n{text[-3000:]}")
    return Run(
        label=label,
        rows=rows,
        wall_seconds=figures["wall"],
        cpu_seconds=figures["cpu"],
        peak_rss_mb=figures["max_rss_kb"] / 1024,  # KiB on Linux
        output=text,
    )


def child_env(url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADFLOW_")}
    return {**env, "LEADFLOW_DATABASE_URL": url}


def import_argv(sample: Path, *options: str) -> list[str]:
    return [*LEADFLOW, "import", str(sample), "--campaign", CAMPAIGN, *options]


def raw_spec(sample: Path, url: str, campaign_id: int, expected: ExpectedImport) -> dict[str, Any]:
    """What the floor needs to know: the layout the generator chose, and which rows the
    import creates (the floor neither validates nor deduplicates)."""
    return {
        "database_url": url,
        "file": str(sample),
        "encoding": expected.variant.encoding,
        "separator": expected.variant.separator,
        "columns": expected.column_indexes,
        "rows": sorted(expected.created),
        "campaign_id": campaign_id,
    }


# --- Checks ---------------------------------------------------------------------------------


def check_output(run: Run, expected: ExpectedImport, verb: str) -> None:
    counts = expected.counts
    wanted = [
        f"rows read:          {counts['rows_processed']}",
        f"leads {verb}: {counts['leads_created']} (0 known contacts)",
        f"duplicates skipped: {counts['duplicates_skipped']}",
        f"rows rejected:      {counts['rows_rejected']}",
    ]
    for line in wanted:
        if line not in run.output:
            raise BenchError(f"{run.label}: expected {line!r} in its report:\n{run.output[:3000]}")


async def check_import(url: str, expected: ExpectedImport) -> None:
    counts = await import_counts(url)
    if counts != expected.counts:
        raise BenchError(f"the import reported {counts}, the generator expects {expected.counts}")


def check_stored(label: str, counts: dict[str, int], expected: dict[str, int]) -> None:
    if counts != expected:
        raise BenchError(f"{label}: the database holds {counts}, expected {expected}")


# --- Running and reporting ------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    postgres_url: str | None
    rows: int
    seed: int
    max_seconds: float


@dataclass(frozen=True)
class Results:
    expected: ExpectedImport
    file_mb: float
    runs: list[Run]


async def measure(options: Options, tmp: Path) -> Results:
    sample = tmp / "messe-scanner.csv"
    with console.status(f"Writing {options.rows:,} rows…"):
        expected = write_sample(sample, options.rows, options.seed)
    created = expected.leads_created
    stored = {"contacts": created, "leads": created, "lead events": created}
    async with AsyncExitStack() as stack:
        import_url = await stack.enter_async_context(
            fresh_database(options.postgres_url, tmp, "import")
        )
        raw_url = await stack.enter_async_context(fresh_database(options.postgres_url, tmp, "raw"))

        runs: list[Run] = []

        def child(label: str, argv: list[str], url: str) -> Run:
            log = tmp / f"run-{len(runs)}.log"
            with console.status(f"{label}…"):
                return run_child(
                    label, argv, child_env(url), log, options.rows, options.max_seconds
                )

        runs.append(
            child(
                "import --dry-run",
                import_argv(sample, "--create-campaign", "--dry-run"),
                import_url,
            )
        )
        check_output(runs[-1], expected, "would be imported")
        nothing = dict.fromkeys(stored, 0) | {"imports": 0}
        check_stored("dry run", await stored_counts(import_url), nothing)

        argv = import_argv(sample, "--create-campaign", "--rejects", str(tmp / "rejected.csv"))
        runs.append(child("import", argv, import_url))
        check_output(runs[-1], expected, "imported")
        await check_import(import_url, expected)
        check_stored("import", await stored_counts(import_url), stored | {"imports": 1})

        spec_path = tmp / "raw-spec.json"
        campaign_id = await create_campaign(raw_url)
        spec_path.write_text(json.dumps(raw_spec(sample, raw_url, campaign_id, expected)))
        argv = [sys.executable, str(BENCH_DIR / "raw_import.py"), str(spec_path)]
        runs.append(child("raw executemany", argv, raw_url))
        check_stored("raw floor", await stored_counts(raw_url), stored | {"imports": 0})
    return Results(expected, sample.stat().st_size / 1e6, runs)


def results_table(results: Results, title: str) -> Table:
    floor = results.runs[-1]
    table = Table(title=title, title_justify="left")
    for column in ("leadflow", "wall s", "rows/s", "CPU s", "peak RSS MB", "x raw"):
        table.add_column(column, justify="left" if column == "leadflow" else "right", no_wrap=True)
    for run in results.runs:
        table.add_row(
            run.label,
            f"{run.wall_seconds:.2f}",
            f"{run.rows_per_second:,.0f}",
            f"{run.cpu_seconds:.2f}",
            f"{run.peak_rss_mb:.1f}",
            f"{run.wall_seconds / floor.wall_seconds:.1f}x",
        )
    return table


def report(results: Results, options: Options) -> None:
    backend = "PostgreSQL" if options.postgres_url else "SQLite"
    expected = results.expected
    counts = expected.counts
    console.print(
        f"Python {platform.python_version()}; {os.cpu_count()} CPUs shared by the child "
        f"and the database"
    )
    console.print(
        f"File: {expected.rows_read:,} rows, {results.file_mb:.1f} MB "
        f"(';', Windows-1252, German headers): {counts['leads_created']:,} new leads, "
        f"{counts['duplicates_skipped']:,} duplicates, {counts['rows_rejected']:,} rejected, "
        f"{counts['empty_rows']:,} empty"
    )
    title = f"Importing {expected.rows_read:,} rows on {backend} (one run each, in this order)"
    console.print(results_table(results, title))
    dry_run, real, floor = results.runs
    cost = (real.wall_seconds - floor.wall_seconds) / counts["leads_created"] * 1e6
    console.print(
        f"Validation, deduplication, batches and the ORM cost {cost:.0f} µs per new lead "
        f"over the raw floor."
    )
    peak = max(dry_run.peak_rss_mb, real.peak_rss_mb)
    verdict = "met" if peak < RSS_GOAL_MB else "missed"
    console.print(f"leadflow import peak RSS: {peak:.1f} MB (goal < {RSS_GOAL_MB} MB: {verdict})")


async def run(options: Options) -> None:
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-import-") as tmp:
        results = await measure(options, Path(tmp))
    report(results, options)


def bounded(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], Any]:
    def parse(raw: str) -> int | float:
        try:
            value = kind(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {raw!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}")
        return value

    return parse


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"),
        help="PostgreSQL admin URL; fresh databases are created there and dropped afterwards "
        "(default: LEADFLOW_BENCH_POSTGRES_URL, else SQLite in a temporary directory)",
    )
    parser.add_argument(
        "--rows", type=bounded(int, 100, 5_000_000), default=100_000, help="(100000)"
    )
    parser.add_argument(
        "--seed", type=bounded(int, 0, 2**32), default=SEED, help=f"of the file ({SEED})"
    )
    parser.add_argument(
        "--max-seconds",
        type=bounded(float, 1, 7200),
        default=1800.0,
        help="time limit per run (default 1800)",
    )
    args = parser.parse_args(argv)
    return Options(args.postgres, args.rows, args.seed, args.max_seconds)


def main() -> None:
    options = parse_options()
    # SIGTERM like Ctrl-C, so that the child is stopped and the databases dropped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        asyncio.run(run(options))
    except (BenchError, OSError, asyncpg.PostgresError) as error:
        console.print(f"bench: {error}", style="red", markup=False, highlight=False)
        sys.exit(1)
    except BaseORMException as error:
        message = f"bench: setting up the database failed: {error!r}"
        console.print(message, style="red", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("bench: interrupted; child stopped, databases removed", style="red")
        sys.exit(130)


if __name__ == "__main__":
    main()
