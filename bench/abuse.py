"""What an attacker's documents cost everybody else: another client's `{ viewer { id } }`
latency while ten attack requests arrive at once, on a live `leadflow serve` (SQLite).

    .venv/bin/python bench/abuse.py [--source DIR] [--leads N]

`--source` runs the server from another checkout's `backend/` (e.g. a `git worktree` of an
older commit) for a before/after comparison in one run of this script. The baseline row is the
same client with nobody attacking."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.attack_documents import aliased_searches, fragments_in_one_selection

from servers import app_argv, free_port, started

MANAGER = "bench.manager@test.example"


def leadflow(source: Path | None, env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-m", "leadflow.cli", *args]
    if source is not None:
        env = {**env, "PYTHONPATH": str(source / "backend")}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"leadflow {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


def seed_leads(database: Path, count: int) -> None:
    """Leads with contacts, written directly (the bench measures reads)."""
    connection = sqlite3.connect(database)
    with connection:
        connection.execute(
            "INSERT INTO campaigns (name, description, created_at) VALUES ('Bench', '', "
            "'2026-01-01T00:00:00+00:00')"
        )
        campaign = connection.execute("SELECT max(id) FROM campaigns").fetchone()[0]
        for start in range(0, count, 10_000):
            rows = range(start, min(start + 10_000, count))
            connection.executemany(
                "INSERT INTO contacts (first_name, last_name, company, email, email_key, phone,"
                " phone_key, salutation, street, postal_code, city, country, created_at) VALUES "
                "(?, ?, ?, ?, ?, '', '', '', '', '', '', '', '2026-01-01T00:00:00+00:00')",
                [(f"Vor{n}", f"Nach{n}", f"Firma {n}", f"p{n}@x.de", f"p{n}@x.de") for n in rows],
            )
        connection.execute(
            "INSERT INTO leads (campaign_id, contact_id, close_note, created_at) "
            "SELECT ?, id, '', '2026-01-01T00:00:00+00:00' FROM contacts",
            (campaign,),
        )
    connection.close()


async def normal_client(url: str, token: str, seconds: float) -> list[float]:
    latencies = []
    async with httpx.AsyncClient(timeout=120) as http:
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            started = time.monotonic()
            response = await http.post(
                url, json={"query": "{ viewer { id } }"}, headers={"Authorization": token}
            )
            response.raise_for_status()
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(0.05)
    return latencies


async def attack(url: str, document: str, token: str | None) -> tuple[float, str]:
    headers = {"Authorization": token} if token else {}
    async with httpx.AsyncClient(timeout=120) as http:
        started = time.monotonic()
        response = await http.post(url, json={"query": document}, headers=headers)
        codes = [e.get("extensions", {}).get("code") for e in response.json().get("errors", [])]
        return time.monotonic() - started, ",".join(sorted(set(filter(None, codes)))) or "ran"


async def scenario(url: str, token: str, make_document, anonymous: bool) -> str:
    attacks = [attack(url, make_document(), None if anonymous else token) for _ in range(10)]
    waits, answers = await asyncio.gather(normal_client(url, token, 3.0), asyncio.gather(*attacks))
    waits.sort()
    refusal = max(seconds for seconds, _ in answers)
    codes = sorted({code for _, code in answers})
    return (
        f"median {statistics.median(waits) * 1000:7.0f} ms  max {waits[-1] * 1000:7.0f} ms"
        f"  | slowest attack answered after {refusal:6.2f} s: {', '.join(codes)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, help="a checkout to serve from (its backend/)")
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="leadflow-abuse-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env["LEADFLOW_DATABASE_URL"] = f"sqlite://{directory / 'bench.db'}"
    leadflow(args.source, env, "migrate")
    leadflow(args.source, env, "users", "add", MANAGER, "--name", "B", "--role", "manager",
             "--password", "bench-password-1")  # fmt: skip
    token = "Bearer " + leadflow(args.source, env, "tokens", "create", MANAGER).split()[-1]
    seed_leads(directory / "bench.db", args.leads)
    port = free_port()
    server_env = {**env, **({"PYTHONPATH": str(args.source / "backend")} if args.source else {})}
    with started("server", app_argv(port), port, server_env, directory) as server:
        url = server.url("/graphql")
        for _ in range(100):
            try:
                if httpx.get(server.url("/healthz")).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        print(f"source: {args.source or 'this checkout'}, {args.leads} leads, SQLite")
        print(f"  {'nobody attacking':44}", asyncio.run(scenario_idle(url, token)))
        cases = [
            ("10 x 300 fragments, no token", lambda: fragments_in_one_selection(300), True),
            ("10 x 300 fragments, manager token", lambda: fragments_in_one_selection(300), False),
            ("10 x 30 aliased searches, manager token", lambda: aliased_searches(30), False),
            ("10 x 4 searches (allowed), manager token", lambda: aliased_searches(4), False),
        ]
        for name, make_document, anonymous in cases:
            print(f"  {name:44}", asyncio.run(scenario(url, token, make_document, anonymous)))


async def scenario_idle(url: str, token: str) -> str:
    waits = sorted(await normal_client(url, token, 2.0))
    return f"median {statistics.median(waits) * 1000:7.0f} ms  max {waits[-1] * 1000:7.0f} ms"


if __name__ == "__main__":
    main()
