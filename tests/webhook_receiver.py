"""A real HTTP receiver of webhooks on loopback, for tests: it verifies each request's signature
with the `standardwebhooks` package, records every request, and answers as the test scripts it
(status codes in sequence, a delay, `Retry-After`, a redirect).

In-process (async tests):

    async with running_receiver(secrets=[secret]) as receiver:
        receiver.script(Answer(500), Answer(500), Answer(200))    # then 200 for ever
        ... create a webhook for receiver.url ...
        requests = await receiver.wait_for(3)                      # or TimeoutError
        assert all(request.verified for request in requests)

In a thread of its own (sync tests): `with receiver_in_thread(...) as receiver:`; the same
object, its `wait_for_sync(count)` waits from the test's thread.

As a process of its own (process-level tests):

    python -m tests.webhook_receiver --port 0 --record FILE [--secret whsec_...]...
                                     [--answers 500,500,200] [--delay-seconds 0]

prints `listening on http://127.0.0.1:PORT` on its first line, appends one JSON object per
request to FILE (see `ReceivedRequest.as_json`) and runs until terminated. A running receiver
is scripted and told secrets over HTTP too: POST /_control/script with
`{"answers": [{"status": 500, "delay_seconds": 0, "headers": {}}, ...], "path": null}` and
POST /_control/secrets with `{"secrets": ["whsec_..."]}` (control requests are not recorded).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

CONTROL_PREFIX = "/_control/"


@dataclass(frozen=True, slots=True)
class Answer:
    """How to answer one request: after `delay_seconds` (a hang longer than the sender's time
    limit is a timeout), with `status`, extra `headers` (e.g. {"Retry-After": "2"} or
    {"Location": "http://..."}) and `body`."""

    status: int = 200
    delay_seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        return cls(
            status=int(data.get("status", 200)),
            delay_seconds=float(data.get("delay_seconds", 0.0)),
            headers={str(key): str(value) for key, value in data.get("headers", {}).items()},
            body=str(data.get("body", "")).encode(),
        )


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as it arrived (recorded when it arrived, before any delay)."""

    at: float  # time.time()
    monotonic: float  # time.monotonic(), to measure intervals between requests
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    # The secrets (of those the receiver knows) whose signature the request carries; the
    # verification error when none does.
    verified_by: tuple[str, ...]
    error: str
    answered: int  # the status the receiver answered with (or will, after its delay)

    @property
    def verified(self) -> bool:
        return bool(self.verified_by)

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def signatures(self) -> list[str]:
        return self.headers.get("webhook-signature", "").split()

    def json(self) -> Any:
        return json.loads(self.body)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body.decode("utf-8", errors="replace"),
            "verified": self.verified,
            "verified_by": list(self.verified_by),
            "error": self.error,
            "answered": self.answered,
            "webhook_id": self.webhook_id,
        }


class Receiver:
    """The receiver's state: secrets, scripted answers, recorded requests. `start` serves it."""

    def __init__(self, secrets: Sequence[str] = (), *, record: Path | None = None) -> None:
        self.secrets: list[str] = list(secrets)
        self.requests: list[ReceivedRequest] = []
        self.default_answer = Answer()
        self._script: deque[Answer] = deque()
        self._path_scripts: dict[str, deque[Answer]] = {}
        self._record = record
        self._lock = threading.Lock()  # the thread variant reads from the test's thread
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The URL to register as a webhook (any path under it is recorded as well)."""
        return f"http://127.0.0.1:{self.port}/hook"

    def url_for(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def script(self, *answers: Answer, path: str | None = None) -> None:
        """Answer the next requests (to `path` only, e.g. "/hook-2", or to any) with `answers`
        in order; after them `default_answer` (200)."""
        with self._lock:
            queue = self._script if path is None else self._path_scripts.setdefault(path, deque())
            queue.extend(answers)

    def received(self, webhook_id: str | None = None) -> list[ReceivedRequest]:
        with self._lock:
            return [r for r in self.requests if webhook_id is None or r.webhook_id == webhook_id]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """The first `count` requests, once they arrived (TimeoutError if not in `timeout`)."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)
        return self.received()[:count]

    def wait_for_sync(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """`wait_for` from another thread than the receiver's (receiver_in_thread)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received()) >= count:
                return self.received()[:count]
            time.sleep(0.01)
        raise TimeoutError(f"{len(self.received())} of {count} requests arrived")

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Receiver:
        app = web.Application()
        app.router.add_post(CONTROL_PREFIX + "script", self._control_script)
        app.router.add_post(CONTROL_PREFIX + "secrets", self._control_secrets)
        app.router.add_route("*", "/{tail:.*}", self._receive)
        # A short shutdown: a request hanging on purpose must not hold the test's teardown.
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _next_answer(self, path: str) -> Answer:
        with self._lock:
            queue = self._path_scripts.get(path)
            if queue:
                return queue.popleft()
            if self._script:
                return self._script.popleft()
            return self.default_answer

    def _verify(self, body: bytes, headers: dict[str, str]) -> tuple[tuple[str, ...], str]:
        verified_by: list[str] = []
        error = "" if self.secrets else "no secret to verify with"
        for secret in list(self.secrets):
            try:
                Webhook(secret).verify(body, headers, json_parse=False)
            except WebhookVerificationError as failure:
                error = str(failure)
            else:
                verified_by.append(secret)
        return tuple(verified_by), "" if verified_by else error

    async def _receive(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        verified_by, error = self._verify(body, headers)
        answer = self._next_answer(request.path)
        received = ReceivedRequest(
            at=time.time(),
            monotonic=time.monotonic(),
            method=request.method,
            path=request.path,
            headers=headers,
            body=body,
            verified_by=verified_by,
            error=error,
            answered=answer.status,
        )
        with self._lock:
            self.requests.append(received)
        if self._record is not None:
            with self._record.open("a", encoding="utf-8") as record:
                record.write(json.dumps(received.as_json()) + "\n")
        async with self._arrived:
            self._arrived.notify_all()
        if answer.delay_seconds:
            await asyncio.sleep(answer.delay_seconds)
        return web.Response(status=answer.status, headers=answer.headers, body=answer.body)

    async def _control_script(self, request: web.Request) -> web.Response:
        data = await request.json()
        answers = [Answer.from_json(answer) for answer in data.get("answers", [])]
        self.script(*answers, path=data.get("path"))
        return web.json_response({"scripted": len(answers)})

    async def _control_secrets(self, request: web.Request) -> web.Response:
        data = await request.json()
        with self._lock:
            self.secrets = [str(secret) for secret in data.get("secrets", [])]
        return web.json_response({"secrets": len(self.secrets)})


@asynccontextmanager
async def running_receiver(
    secrets: Sequence[str] = (), *, record: Path | None = None
) -> AsyncIterator[Receiver]:
    """A receiver serving on 127.0.0.1 (a free port) in the current event loop."""
    receiver = await Receiver(secrets, record=record).start()
    try:
        yield receiver
    finally:
        await receiver.stop()


@contextmanager
def receiver_in_thread(
    secrets: Sequence[str] = (), *, record: Path | None = None
) -> Iterator[Receiver]:
    """A receiver serving from an event loop in a thread of its own (for sync tests)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="webhook-receiver", daemon=True)
    thread.start()
    receiver = asyncio.run_coroutine_threadsafe(_started(secrets, record), loop).result(10)
    try:
        yield receiver
    finally:
        asyncio.run_coroutine_threadsafe(receiver.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _started(secrets: Sequence[str], record: Path | None) -> Receiver:
    # Built inside the receiver's loop: its Condition belongs to that loop.
    return await Receiver(secrets, record=record).start()


async def _serve(arguments: argparse.Namespace) -> None:
    receiver = await Receiver(arguments.secret, record=arguments.record).start(port=arguments.port)
    answers = [
        Answer(int(status), arguments.delay_seconds)
        for status in arguments.answers.split(",")
        if status.strip()
    ]
    receiver.script(*answers)
    receiver.default_answer = Answer(200, arguments.delay_seconds)
    print(f"listening on http://127.0.0.1:{receiver.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await receiver.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A webhook receiver on loopback, for tests.")
    parser.add_argument("--port", type=int, default=0, help="0: a free port (printed)")
    parser.add_argument("--record", type=Path, required=True, help="JSON lines, one a request")
    parser.add_argument("--secret", action="append", default=[], help="whsec_... (repeatable)")
    parser.add_argument("--answers", default="", help="statuses in order, e.g. 500,500,200")
    parser.add_argument("--delay-seconds", type=float, default=0.0)
    arguments = parser.parse_args(argv)
    try:
        asyncio.run(_serve(arguments))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
