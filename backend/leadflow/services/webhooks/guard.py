"""The SSRF guard: a webhook's URL may only lead to a public address of the internet, unless the
instance allows private ones (LEADFLOW_WEBHOOK_ALLOW_PRIVATE, for tests and closed networks).

Checked twice: when a webhook is created or its URL changed (`check_url`, after resolving the
host, every address it has), and again when the worker connects (`refusal`, used by the
sender's resolver), so that a host whose DNS answer changes after the check (DNS rebinding)
still reaches no private address. Redirects are never followed (services/webhooks/sender.py).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar
from urllib.parse import SplitResult, urlsplit, urlunsplit

from leadflow.db.models import WEBHOOK_URL_MAX
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.validation import unstorable_character
from leadflow.services.webhooks import config

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# How long the check waits for DNS before it gives up on a host.
RESOLVE_SECONDS = 5.0
# Webhook hosts are looked up on threads of their own, not the loop's default pool: a name
# server that never answers (a hostile receiver's) ties up these, not the threads password
# hashing and every other asyncio.to_thread waits for. (Created lazily, like their threads.)
DNS_THREADS = 4
_dns_pool: ThreadPoolExecutor | None = None

_P = ParamSpec("_P")
_T = TypeVar("_T")

# The shared address space of carrier-grade NAT: not private by RFC 1918, not public either.
_CARRIER_NAT = ipaddress.IPv4Network("100.64.0.0/10")
# NAT64's well-known prefix: the last 32 bits are an IPv4 address the gateway connects to.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def refusal(address: str) -> str | None:
    """Why a webhook may not connect to `address` (an IP address as text), e.g. "address
    10.0.0.1 is private"; None when it is a public address."""
    try:
        parsed = _ip_address(address)
    except ValueError:
        return f"address {address} is not an IP address"
    kind = _non_public_kind(parsed)
    return None if kind is None else f"address {address} is {kind}"


def _ip_address(text: str) -> IPAddress:
    """The address `text` spells, without its scope ("fe80::1%eth0"); ValueError if none."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def _non_public_kind(address: IPAddress) -> str | None:
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv6 address that stands for an IPv4 one is judged by the IPv4 address it carries.
        embedded = address.ipv4_mapped or address.sixtofour or _nat64_embedded(address)
        if embedded is not None:
            return _non_public_kind(embedded)
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _CARRIER_NAT:
        return "shared (carrier-grade NAT)"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        # Documentation ranges, benchmarking, protocol assignments: nothing a partner runs on.
        return "not a public address"
    return None


def _nat64_embedded(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address not in _NAT64:
        return None
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


async def check_url(url: str, *, field: list[str]) -> str:
    """The webhook URL `url` normalized (scheme and host in lower case, no fragment), or
    DomainError INVALID on `field`: http or https with a host, no user name or password, at
    most WEBHOOK_URL_MAX characters and, unless private addresses are allowed, a host whose
    addresses are all public."""
    parts = _parsed(url.strip(), field)
    normalized = urlunsplit(
        (parts.scheme.lower(), _netloc(parts), parts.path or "/", parts.query, "")
    )
    if len(normalized) > WEBHOOK_URL_MAX:
        raise DomainError(
            ErrorCode.TOO_LONG, f"The URL is longer than {WEBHOOK_URL_MAX} characters.", field
        )
    if not config.current().allow_private:
        await _require_public_host(_host(parts), parts.port, field)
    return normalized


def _parsed(url: str, field: list[str]) -> SplitResult:
    if len(url) > WEBHOOK_URL_MAX:
        raise DomainError(
            ErrorCode.TOO_LONG, f"The URL is longer than {WEBHOOK_URL_MAX} characters.", field
        )
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise DomainError(ErrorCode.INVALID, "The URL must not contain spaces.", field)
    # Before anything else reads it: a lone surrogate (JSON can spell "\udcff") has no UTF-8,
    # so neither the database nor a request line could carry it.
    problem = unstorable_character(url)
    if problem is not None:
        raise DomainError(ErrorCode.INVALID, f"The URL contains {problem}.", field)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise DomainError(ErrorCode.INVALID, "This is not a valid URL.", field) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise DomainError(
            ErrorCode.INVALID, "The URL must start with https:// (or http://).", field
        )
    if not _host(parts):
        raise DomainError(ErrorCode.INVALID, "The URL must name a host.", field)
    if parts.username is not None or parts.password is not None:
        raise DomainError(
            ErrorCode.INVALID,
            "The URL must not contain a user name or password; the signature authenticates "
            "each request.",
            field,
        )
    return parts


def _host(parts: SplitResult) -> str:
    hostname = parts.hostname or ""
    return hostname.rstrip(".")


def _netloc(parts: SplitResult) -> str:
    host = _host(parts)
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return host if parts.port is None else f"{host}:{parts.port}"


async def _require_public_host(host: str, port: int | None, field: list[str]) -> None:
    if host == "localhost" or host.endswith(".localhost"):
        raise DomainError(
            ErrorCode.INVALID,
            f"The host {host} is this machine; webhooks go to public hosts.",
            field,
        )
    for address in await _addresses(host, port, field):
        kind = _non_public_kind(_ip_address(address))
        if kind is not None:
            raise DomainError(ErrorCode.INVALID, _refused_host(host, address, kind), field)


def _refused_host(host: str, address: str, kind: str) -> str:
    """E.g. "The host crm.example resolves to 10.0.0.8, a private address; ..." (an address
    written as the host: "The address 10.0.0.8 is a private address; ...")."""
    described = _KIND_DESCRIBED.get(kind, kind)
    if host == address:
        said = f"The address {address} is {described}"
    else:
        said = f"The host {host} resolves to {address}, {described}"
    return f"{said}; webhooks go only to public addresses."


_KIND_DESCRIBED = {
    "unspecified": "the unspecified address",
    "loopback": "a loopback address",
    "link-local": "a link-local address",
    "multicast": "a multicast address",
    "shared (carrier-grade NAT)": "a shared (carrier-grade NAT) address",
    "private": "a private address",
    "reserved": "a reserved address",
    "not a public address": "not a public address",
}


async def in_dns_thread(lookup: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """`lookup(*args, **kwargs)` (blocking DNS) on the webhook lookups' own threads."""
    global _dns_pool
    if _dns_pool is None:
        _dns_pool = ThreadPoolExecutor(DNS_THREADS, thread_name_prefix="leadflow-webhook-dns")
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_dns_pool, functools.partial(lookup, *args, **kwargs))


async def _addresses(host: str, port: int | None, field: list[str]) -> set[str]:
    """Every address `host` resolves to (an IP literal: itself)."""
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            found = await in_dns_thread(
                socket.getaddrinfo, host, port or 443, type=socket.SOCK_STREAM
            )
    except (OSError, UnicodeError, TimeoutError):
        found = []
    addresses = {str(info[4][0]) for info in found}
    if not addresses:
        raise DomainError(ErrorCode.INVALID, f"The host {host} could not be found.", field)
    return addresses
