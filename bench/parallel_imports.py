"""Another client's latency while web imports run (a benchmark, not a timed test).

It starts a real `leadflow serve` (tests/live_server.py: SQLite in a temporary directory, or
the database of --database-url), writes N messy lead files of R rows (tests/messy_leads.py,
one seed each, so no two are the same file), and then:

1. **idle**: asks `{ viewer { id } }` for a few seconds, one request after the other, to
   have the figure without imports;
2. **during**: uploads the N files at once (`POST /files/imports`, one campaign each), notes
   how long the 202 took, and asks `{ viewer { id } }` one after the other until every
   import has ended (their status is polled over GraphQL once a second, by another client).

It prints median, p95 and maximum of the viewer query in both phases, the time until the
imports had ended, the most imports seen RUNNING at one poll, and each import's outcome.
Every loop is bounded in count and time (--max-seconds); the server is stopped at the end.

    .venv/bin/python bench/parallel_imports.py                          # 10 x 20,000 rows
    .venv/bin/python bench/parallel_imports.py --imports 3 --rows 5000 --concurrency 1

See bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_server import live_server  # noqa: E402
from tests.messy_leads import write_messy_leads  # noqa: E402

VIEWER = "{ viewer { id } }"
STATUS = "query($id: ID!) { leadImport(id: $id) { status rowsProcessed rowsExpected } }"
CREATE_CAMPAIGN = (
    "mutation($name: String!) { createCampaign(input: {name: $name}) "
    "{ campaign { id } userErrors { code message } } }"
)


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)

    def summary(self) -> str:
        if not self.latencies:
            return f"{self.name:>7}: no requests"
        ordered = sorted(self.latencies)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return (
            f"{self.name:>7}: {len(ordered)} requests, "
            f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.1f} ms"
        )


async def ask_viewer(http: httpx.AsyncClient, phase: Phase, until: asyncio.Event, limit: float):
    deadline = time.monotonic() + limit
    while not until.is_set() and time.monotonic() < deadline:
        started = time.perf_counter()
        response = await http.post("/graphql", json={"query": VIEWER})
        phase.latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        await asyncio.sleep(0.05)


async def create_campaign(http: httpx.AsyncClient, name: str) -> str:
    response = await http.post(
        "/graphql", json={"query": CREATE_CAMPAIGN, "variables": {"name": name}}
    )
    payload = response.json()["data"]["createCampaign"]
    assert not payload["userErrors"], payload
    return payload["campaign"]["id"]


async def upload(http: httpx.AsyncClient, campaign_id: str, path: Path) -> tuple[str, float]:
    started = time.perf_counter()
    response = await http.post(
        "/files/imports",
        params={"campaign": campaign_id, "fileName": path.name},
        content=path.read_bytes(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 202, response.text
    return response.json()["importId"], time.perf_counter() - started


async def watch_imports(
    http: httpx.AsyncClient, import_ids: list[str], done: asyncio.Event, limit: float
) -> tuple[int, dict[str, dict]]:
    """Polls every import once a second until all have ended; returns the most seen RUNNING
    at one poll (QUEUED ones wait their turn) and the last state of each."""
    most_running = 0
    states: dict[str, dict] = {}
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for import_id in import_ids:
            response = await http.post(
                "/graphql", json={"query": STATUS, "variables": {"id": import_id}}
            )
            states[import_id] = response.json()["data"]["leadImport"]
        running = [state for state in states.values() if state["status"] == "RUNNING"]
        most_running = max(most_running, len(running))
        if all(s["status"] in ("COMPLETED", "FAILED") for s in states.values()):
            break
        await asyncio.sleep(1)
    done.set()
    return most_running, states


async def measure(url: str, token: str, files: list[Path], args: argparse.Namespace) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    timeout = httpx.Timeout(120)
    async with (
        httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout) as other,
        httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout) as uploader,
        httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout) as watcher,
    ):
        idle = Phase("idle")
        await ask_viewer(other, idle, asyncio.Event(), args.idle_seconds)

        campaigns = [await create_campaign(uploader, f"Bench {i}") for i in range(len(files))]
        during = Phase("during")
        done = asyncio.Event()
        started = time.monotonic()
        asker = asyncio.create_task(ask_viewer(other, during, done, args.max_seconds))
        uploads = await asyncio.gather(
            *(
                upload(uploader, campaign, path)
                for campaign, path in zip(campaigns, files, strict=True)
            )
        )
        import_ids = [import_id for import_id, _ in uploads]
        most_running, states = await watch_imports(watcher, import_ids, done, args.max_seconds)
        elapsed = time.monotonic() - started
        await asker

    print(idle.summary())
    print(during.summary())
    answers = sorted(seconds for _, seconds in uploads)
    print(
        f"{len(files)} imports of {args.rows} rows: 202 after {answers[0] * 1000:.0f} to "
        f"{answers[-1] * 1000:.0f} ms; all ended after {elapsed:.1f} s; "
        f"at most {most_running} RUNNING at one poll"
    )
    for import_id, state in states.items():
        print(f"  {import_id}: {state['status']} {state['rowsProcessed']}/{state['rowsExpected']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imports", type=int, default=10)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument(
        "--concurrency",
        type=str,
        default=None,
        help="LEADFLOW_IMPORT_CONCURRENCY for the server (default: its own)",
    )
    parser.add_argument("--idle-seconds", type=float, default=5)
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as folder:
        directory = Path(folder)
        files = []
        for index in range(args.imports):
            path = directory / f"leads-{index}.csv"
            write_messy_leads(path, rows=args.rows, seed=100 + index)
            files.append(path)
        env = {"LEADFLOW_IMPORT_WATCHDOG_SECONDS": "0"}
        if args.concurrency is not None:
            env["LEADFLOW_IMPORT_CONCURRENCY"] = args.concurrency
        with live_server(directory, **env) as server:
            asyncio.run(measure(server.url, server.manager_token, files, args))


if __name__ == "__main__":
    main()
