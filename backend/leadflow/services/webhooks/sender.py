"""The HTTP side of webhook delivery: one shared aiohttp session per worker that POSTs a body
with its headers and says what came of it, in a few words for the delivery log.

Every request has the instance's time limit (LEADFLOW_WEBHOOK_TIMEOUT_SECONDS, connecting
included); redirects are not followed (a 3xx is a failure: following one would lead wherever
the receiver points); at most MAX_ANSWER_BYTES of an answer are read. Unless private addresses
are allowed, the session's resolver refuses every host with a non-public address
(guard.refusal) at connect time, so DNS rebinding after the URL's check reaches nothing
private; an IP address in the URL (which aiohttp connects to without resolving) is checked
before the request.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from leadflow import clock
from leadflow.services.webhooks import guard
from leadflow.services.webhooks.config import WebhookConfig

# The answer's body is not kept; reading a little lets the connection be reused.
MAX_ANSWER_BYTES = 64 * 1024
# As aiohttp's resolver asks: only address families this machine has an address of.
_AI_ADDRCONFIG = socket.AI_ADDRCONFIG & getattr(socket, "AI_MASK", -1)
_NUMERIC_NAME = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV


@dataclass(frozen=True, slots=True)
class Outcome:
    """What came of one request. `http_status` None: no answer (refused, timed out, ...).
    `retry_after_seconds`: what the receiver asked for (Retry-After), if anything."""

    http_status: int | None
    duration_ms: int
    error: str = ""
    retry_after_seconds: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    @property
    def gone(self) -> bool:
        """410 Gone: the receiver says the endpoint is no more; the webhook is disabled."""
        return self.http_status == 410


class RefusedAddress(OSError):
    """A host resolved to an address webhooks may not reach (aiohttp reports an OSError from
    the resolver as a connection error carrying it)."""


class WebhookResolver(AbstractResolver):
    """aiohttp's threaded resolver, on the webhook lookups' own threads (guard.in_dns_thread:
    a hanging name server does not hold up the loop's default pool); unless private addresses
    are allowed, it refuses a host when any of its addresses is not public (the same rule as
    guard.check_url: all of them, so the connection cannot pick the private one)."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await guard.in_dns_thread(_resolved, host, port, family)
        if not self._allow_private:
            for address in found:
                reason = guard.refusal(address["host"])
                if reason is not None:
                    raise RefusedAddress(reason)
        return found

    async def close(self) -> None:
        pass


def _resolved(host: str, port: int, family: socket.AddressFamily) -> list[ResolveResult]:
    """What aiohttp's ThreadedResolver makes of getaddrinfo's answer (blocking)."""
    infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, 0, _AI_ADDRCONFIG)
    found: list[ResolveResult] = []
    for address_family, _, proto, _, address in infos:
        if address_family == socket.AF_INET6:
            if len(address) < 3:
                continue  # IPv6 not supported by this Python
            if address[3]:  # a scope (link-local): its numeric form names the interface
                resolved_host, resolved_port = socket.getnameinfo(address, _NUMERIC_NAME)
                address = (resolved_host, int(resolved_port))
        elif address_family != socket.AF_INET:
            continue
        found.append(
            ResolveResult(
                hostname=host,
                host=str(address[0]),
                port=int(address[1]),
                family=address_family,
                proto=proto,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
        )
    return found


class Sender:
    """One aiohttp session for a worker's requests (`close` when the worker stops)."""

    def __init__(self, webhook_config: WebhookConfig) -> None:
        self._config = webhook_config
        resolver = WebhookResolver(webhook_config.allow_private)
        connector = aiohttp.TCPConnector(resolver=resolver, limit=webhook_config.concurrency)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=webhook_config.timeout_seconds),
            # No proxy from the environment: the requests go where the guard let them.
            trust_env=False,
            auto_decompress=False,
        )

    async def close(self) -> None:
        await self._session.close()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        started = time.monotonic()
        refused = self._refused_literal(url)
        if refused is not None:
            return Outcome(None, 0, refused)
        try:
            async with self._session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.content.read(MAX_ANSWER_BYTES)
                return _answered(response, _elapsed_ms(started))
        except TimeoutError:
            seconds = f"{self._config.timeout_seconds:g}"
            return Outcome(None, _elapsed_ms(started), f"timed out after {seconds} s")
        except aiohttp.ClientError as error:
            return Outcome(None, _elapsed_ms(started), _describe(error))
        except OSError as error:
            return Outcome(None, _elapsed_ms(started), _short(str(error) or type(error).__name__))

    def _refused_literal(self, url: str) -> str | None:
        if self._config.allow_private:
            return None
        host = URL(url).host or ""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return None  # a name: the resolver checks it
        return guard.refusal(host)


def _answered(response: aiohttp.ClientResponse, duration_ms: int) -> Outcome:
    status = response.status
    if 200 <= status < 300:
        return Outcome(status, duration_ms)
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        target = f" to {_short(location, 200)}" if location else ""
        return Outcome(status, duration_ms, f"redirect not followed (HTTP {status}{target})")
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    reason = f" {_short(response.reason)}" if status == 410 and response.reason else ""
    return Outcome(status, duration_ms, f"HTTP {status}{reason}", retry_after)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header's wait in seconds: a number of seconds or an HTTP date; None when
    absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    # ASCII digits only: "²".isdigit() is true too, and float() refuses it.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - (now or clock.now())).total_seconds())
    except (TypeError, ValueError, OverflowError):
        return None


def readable(text: str) -> str:
    """`text` with what UTF-8 cannot carry written as escapes: aiohttp decodes an answer's
    header bytes that are not UTF-8 to lone surrogates ("\\udcff"), which no database takes
    (nor a NUL character, on PostgreSQL)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _describe(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        if isinstance(error.os_error, RefusedAddress):
            return str(error.os_error)
        return f"host {error.host} could not be resolved"
    if isinstance(error, aiohttp.ClientConnectorError):
        if isinstance(error.os_error, ConnectionRefusedError):
            return "connection refused"
        return _short(f"could not connect to {error.host}: {error.os_error.strerror or error}")
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the receiver closed the connection without an answer"
    if isinstance(error, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return _short(f"unreadable answer: {error}")
    return _short(str(error) or type(error).__name__)


def _short(text: str, limit: int = 300) -> str:
    text = readable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
