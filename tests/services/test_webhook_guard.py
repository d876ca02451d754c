"""The SSRF guard of webhook URLs (services/webhooks/guard.py): only http(s) URLs naming a host
whose every address is public, unless the instance allows private addresses."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Awaitable, Iterator
from typing import Any

import pytest

from leadflow.db.models import WEBHOOK_URL_MAX
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.webhooks import config, guard
from leadflow.services.webhooks.config import WebhookConfig
from leadflow.services.webhooks.sender import Sender
from leadflow.settings import Settings

FIELD = ["input", "url"]


@pytest.fixture(autouse=True)
def private_addresses_refused() -> Iterator[None]:
    config.configure(Settings(webhook_allow_private=False))
    yield
    config.configure(Settings())


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """Names this test's DNS answers (socket.getaddrinfo): no network needed."""
    answers: dict[str, list[str]] = {}
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in answers:
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (address, port),
                )
                for address in answers[host]
            ]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield answers


async def refused(url: str) -> str:
    with pytest.raises(DomainError) as refusal:
        await guard.check_url(url, field=FIELD)
    assert refusal.value.field == tuple(FIELD)
    return refusal.value.message


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1:8080/hook", "The address 127.0.0.1 is a loopback address"),
        # Resolved, whatever the spelling.
        ("http://127.1/hook", "The host 127.1 resolves to 127.0.0.1, a loopback address"),
        ("http://[::1]/hook", "The address ::1 is a loopback address"),
        ("http://10.1.2.3/hook", "The address 10.1.2.3 is a private address"),
        ("http://192.168.0.10/hook", "The address 192.168.0.10 is a private address"),
        ("http://172.16.5.4/hook", "The address 172.16.5.4 is a private address"),
        (
            "http://169.254.169.254/latest/meta-data",
            "The address 169.254.169.254 is a link-local address",
        ),
        ("http://[fe80::1]/hook", "The address fe80::1 is a link-local address"),
        (
            "http://100.64.0.7/hook",
            "The address 100.64.0.7 is a shared (carrier-grade NAT) address",
        ),
        ("http://0.0.0.0/hook", "The address 0.0.0.0 is the unspecified address"),
        ("http://224.0.0.1/hook", "The address 224.0.0.1 is a multicast address"),
        ("http://[::ffff:127.0.0.1]/hook", "The address ::ffff:127.0.0.1 is a loopback address"),
        ("http://[::ffff:10.0.0.1]/hook", "The address ::ffff:10.0.0.1 is a private address"),
        ("http://[fc00::1]/hook", "The address fc00::1 is a private address"),
    ],
)
async def test_non_public_addresses_are_refused(url: str, said: str) -> None:
    assert await refused(url) == f"{said}; webhooks go only to public addresses."


async def test_localhost_is_refused_by_its_name() -> None:
    assert "is this machine" in await refused("http://localhost:8000/hook")
    assert "is this machine" in await refused("http://api.localhost/hook")


async def test_every_address_of_a_host_must_be_public(dns: dict[str, list[str]]) -> None:
    dns["partner.example"] = ["93.184.215.14", "10.0.0.8"]
    message = await refused("https://partner.example/hook")
    assert message == (
        "The host partner.example resolves to 10.0.0.8, a private address; "
        "webhooks go only to public addresses."
    )
    dns["partner.example"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    assert await guard.check_url("https://partner.example/hook", field=FIELD)


async def test_a_public_url_comes_back_normalized(dns: dict[str, list[str]]) -> None:
    dns["crm.example.com"] = ["93.184.215.14"]
    checked = await guard.check_url("  HTTPS://CRM.Example.com./In?x=1#part ", field=FIELD)
    assert checked == "https://crm.example.com/In?x=1"
    assert await guard.check_url("https://8.8.8.8", field=FIELD) == "https://8.8.8.8/"
    port = await guard.check_url("http://crm.example.com:8443/a", field=FIELD)
    assert port == "http://crm.example.com:8443/a"


async def test_an_unknown_host_is_refused_clearly(dns: dict[str, list[str]]) -> None:
    dns["gone.example"] = []
    assert await refused("https://gone.example/hook") == "The host gone.example could not be found."


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "The URL must start with https:// (or http://)."),
        ("example.com/hook", "The URL must start with https:// (or http://)."),
        ("https:///hook", "The URL must name a host."),
        ("https://user:secret@example.com/hook", "must not contain a user name or password"),
        ("https://example.com:99999/hook", "This is not a valid URL."),
        ("https://example.com/a b", "The URL must not contain spaces."),
        ("https://./hook", "The URL must name a host."),
        # A lone surrogate (JSON "\\udcff"): no UTF-8, so no database could store it.
        ("https://8.8.8.8/\udcff", "The URL contains an invalid character (a lone surrogate)."),
        ("https://\udcff/hook", "The URL contains an invalid character (a lone surrogate)."),
    ],
)
async def test_malformed_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(DomainError) as refusal:
        await guard.check_url(url, field=FIELD)
    assert refusal.value.code == ErrorCode.INVALID
    assert message in refusal.value.message


async def test_a_too_long_url_is_refused() -> None:
    url = "https://8.8.8.8/" + "a" * WEBHOOK_URL_MAX
    with pytest.raises(DomainError) as refusal:
        await guard.check_url(url, field=FIELD)
    assert refusal.value.code == ErrorCode.TOO_LONG


async def test_private_addresses_pass_where_the_instance_allows_them() -> None:
    config.configure(Settings(webhook_allow_private=True))
    checked = await guard.check_url("http://127.0.0.1:8080/hook", field=FIELD)
    assert checked == "http://127.0.0.1:8080/hook"
    assert await guard.check_url("http://localhost/hook", field=FIELD) == "http://localhost/hook"
    # The form is checked all the same.
    with pytest.raises(DomainError):
        await guard.check_url("ftp://127.0.0.1/hook", field=FIELD)


def test_refusal_names_the_address_and_passes_public_ones() -> None:
    assert guard.refusal("8.8.8.8") is None
    assert guard.refusal("2606:4700:4700::1111") is None
    assert guard.refusal("64:ff9b::808:808") is None  # NAT64 of 8.8.8.8
    assert guard.refusal("64:ff9b::a00:1") == "address 64:ff9b::a00:1 is private"  # of 10.0.0.1
    assert guard.refusal("2002:7f00:1::1") == "address 2002:7f00:1::1 is loopback"  # 6to4


@contextlib.contextmanager
def hanging_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Lookups of hosts named slow... hang (a hostile name server) until the block ends."""
    released = threading.Event()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if str(host).startswith("slow"):
            released.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        yield
    finally:
        released.set()


async def returns_at_once(work: Awaitable[object]) -> bool:
    try:
        async with asyncio.timeout(2):
            await work
    except TimeoutError:
        return False
    return True


async def test_hanging_lookups_of_webhook_hosts_leave_the_default_threads_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Password hashing runs on the loop's default threads (asyncio.to_thread): webhook hosts
    whose name server never answers, at creation and at connect time, must not take them all
    (before, 10 such lookups made a login wait for them)."""
    with hanging_dns(monkeypatch):
        checks = [
            asyncio.create_task(guard.check_url(f"https://slow{n}.example/hook", field=FIELD))
            for n in range(10)
        ]
        sender = Sender(WebhookConfig(allow_private=False, timeout_seconds=10))
        posts = [
            asyncio.create_task(sender.post(f"http://slow-post{n}.example/", b"{}", {}))
            for n in range(10)
        ]
        await asyncio.sleep(0.1)
        try:
            assert await returns_at_once(asyncio.to_thread(lambda: None))
            assert not any(task.done() for task in checks + posts)  # still hanging
        finally:
            for task in checks + posts:
                task.cancel()
            await asyncio.gather(*checks, *posts, return_exceptions=True)
            await sender.close()


async def test_the_connect_time_lookup_resolves_and_refuses_as_before() -> None:
    public = Sender(WebhookConfig(allow_private=False, timeout_seconds=2))
    private = Sender(WebhookConfig(allow_private=True, timeout_seconds=2))
    try:
        refused = await public.post("http://localhost:9/hook", b"{}", {})
        assert refused.http_status is None
        assert refused.error in ("address 127.0.0.1 is loopback", "address ::1 is loopback")
        reached = await private.post("http://localhost:9/hook", b"{}", {})
        assert reached.error == "connection refused"
    finally:
        await public.close()
        await private.close()
