"""The server processes a bench starts, in one place: `leadflow serve` as deployed
(`leadflow_server`, `app_argv`, `app_env`) and any other command that listens on a port (a raw
floor, PostGraphile, a webhook receiver: `started`), each with its output in a log file and
stopped with SIGTERM (SIGKILL if it does not end); a free port; `wait_ready`; and
`stop_on_sigterm`, so that a bench stopped with SIGTERM cleans up (servers stopped, databases
dropped) as after Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

import httpx

HOST = "127.0.0.1"
# How long a server may take to answer /healthz (a fresh PostgreSQL pool, migrations checked,
# several workers on a busy machine); only a failing start waits that long.
START_SECONDS = 120
# How long a server may take to stop after SIGTERM (it finishes its requests and background
# rounds) before it is killed.
STOP_SECONDS = 15


class BenchError(Exception):
    """The benchmark cannot go on; printed as one message."""


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def memory_mb(self) -> dict[str, float]:
        """VmRSS (now) and VmHWM (peak) of the server process, from /proc."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server process so far, from /proc."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def app_argv(port: int, workers: int | None = None) -> list[str]:
    """`leadflow serve` on `port`, with `--workers` when given (else the command's default)."""
    argv = [sys.executable, "-m", "leadflow.cli", "serve", "--host", HOST, "--port", str(port)]
    return argv + (["--workers", str(workers)] if workers else [])


def app_env(url: str, **extra: str) -> dict[str, str]:
    """This process's environment with the app's database and `extra` (LEADFLOW_... names)."""
    return {**os.environ, "LEADFLOW_DATABASE_URL": url, "PYTHONUNBUFFERED": "1", **extra}


@contextmanager
def started(
    name: str, argv: list[str], port: int, env: Mapping[str, str], tmp: Path
) -> Iterator[Server]:
    """`argv` running (listening on `port`), its output in `tmp`/`name`.log; stopped at the end
    with SIGTERM, killed after STOP_SECONDS."""
    log_path = tmp / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, env=dict(env), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            yield Server(name, process, port, log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextmanager
def leadflow_server(
    name: str, env: Mapping[str, str], tmp: Path, workers: int | None = None
) -> Iterator[Server]:
    """`leadflow serve` on a free port (`started`)."""
    port = free_port()
    with started(name, app_argv(port, workers), port, env, tmp) as server:
        yield server


async def wait_ready(
    client: httpx.AsyncClient, server: Server, path: str = "/healthz", poll: float = 0.1
) -> None:
    """Until `path` answers 200; BenchError if the server exits or START_SECONDS pass."""
    deadline = perf_counter() + START_SECONDS
    while perf_counter() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited:\n{server.log_tail()}")
        try:
            if (await client.get(server.url(path))).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(poll)
    raise BenchError(f"{server.name} not ready after {START_SECONDS}s:\n{server.log_tail()}")


def stop_on_sigterm() -> None:
    """SIGTERM like Ctrl-C (KeyboardInterrupt): the bench's `with` blocks stop its servers and
    drop its databases on the way out."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
