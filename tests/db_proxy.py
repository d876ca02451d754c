"""A TCP proxy between the app and PostgreSQL that a test can cut: every connection through it
is closed and new ones are refused (as during a database restart, without restarting the
PostgreSQL server the other tests use), at once or when the app sends a statement with given
text; `restore` lets connections through again."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit

from tests.helpers import free_port


class DatabaseProxy:
    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.port = free_port()
        self.url = urlunsplit(
            parts._replace(netloc=parts.netloc.replace(f":{parts.port}", f":{self.port}"))
        )
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._cut_on: bytes | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Close every connection and refuse new ones (connection refused)."""
        self._cut_on = None
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def cut_when_sent(self, text: bytes) -> None:
        """`cut` as soon as the app sends bytes holding `text` (before they reach the server)."""
        self._cut_on = text

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update({writer, upstream_writer})
        await asyncio.gather(
            self._pipe(reader, upstream_writer, from_app=True),
            self._pipe(upstream_reader, writer, from_app=False),
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, from_app: bool
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if from_app and self._cut_on is not None and self._cut_on in chunk:
                    await self.cut()
                    return
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()

    async def close(self) -> None:
        await self.cut()
        with contextlib.suppress(Exception):
            await asyncio.sleep(0)
