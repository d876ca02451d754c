"""Whether a failure means the database cannot be reached right now (not that a statement is
wrong): the web layer answers those 503 with `Retry-After` instead of 500.

PostgreSQL restarting or unreachable shows up as: connection refused or reset (OSError), "the
database system is shutting down / starting up" (CannotConnectNowError, 57P03), a backend
terminated by the server or an administrator (AdminShutdownError 57P01, CrashShutdownError
57P02), a connection that died in the middle of a statement (ConnectionDoesNotExistError and
the other class-08 errors), a connection or pool asyncpg has closed meanwhile (InterfaceError
"connection is closed"), a connection met again while an operation a restart cut off is
still in progress on it (InternalClientError "cannot switch to state"), too many connections
(53300), a connect that timed out, and Tortoise's DBConnectionError. A cancelled statement
(57014: the request's time limit, statement_timeout) is not among them: it is the request's own
doing.

Whether a write committed before its connection died cannot be known from here: the client
retries with its Idempotency-Key.

Background work that tries again later logs its failures with `log_failure`: an outage as one
WARNING line per round (expected while a restart lasts; its traceback says nothing new and would
bury the log), anything else as ERROR with its traceback.
"""

from __future__ import annotations

import errno
import logging
import socket

import asyncpg  # type: ignore[import-untyped]  # no stubs
from tortoise.exceptions import DBConnectionError

from leadflow.db.deadline import StatementDeadlineExceeded

RETRY_AFTER_SECONDS = 1

_UNAVAILABLE_POSTGRES = (
    asyncpg.PostgresConnectionError,  # class 08: connection exceptions
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
_CONNECTION_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EADDRNOTAVAIL,
    }
)
# The error's text in a log line is cut after this many characters (an OSError for every address
# of a host can be long).
_ONE_LINE_CHARS = 200

# asyncpg's InterfaceError also reports misuse (a bug); these words only a closed one.
_CLOSED_WORDS = ("connection is closed", "pool is closing", "pool is closed")


def database_unavailable(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from or during, says the database cannot be
    reached now (see the module's docstring)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_unavailable(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def log_failure(logger: logging.Logger, error: BaseException, what: str, retrying: str) -> None:
    """Log that `what` (a round of background work, named for the log) failed with `error` and
    will be tried again (`retrying`: "retrying in 5 s"). The database unavailable: one WARNING
    line with the error in one line; anything else: ERROR with the traceback."""
    if database_unavailable(error):
        logger.warning("%s failed, database unavailable (%s); %s", what, one_line(error), retrying)
    else:
        logger.error("%s failed; %s", what, retrying, exc_info=error)


def one_line(error: BaseException) -> str:
    """`error` as "Type: text" on one line, cut to a readable length."""
    text = " ".join(str(error).split())
    line = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return line if len(line) <= _ONE_LINE_CHARS else line[: _ONE_LINE_CHARS - 3] + "..."


def _is_unavailable(error: BaseException) -> bool:
    if isinstance(error, StatementDeadlineExceeded):
        return False  # the request's own time limit, on SQLite
    if isinstance(error, (*_UNAVAILABLE_POSTGRES, DBConnectionError)):
        return True
    if isinstance(error, asyncpg.InterfaceError):
        return any(words in str(error) for words in _CLOSED_WORDS)
    if isinstance(error, asyncpg.exceptions._base.InternalClientError):
        # The protocol's state machine ("cannot switch to state 12; another operation (2) is in
        # progress"): a connection whose operation a restart cut off, met again (seen in
        # bench/load.py --restart-postgres). Our code never runs two statements on one
        # connection at once: that misuse is asyncpg's InterfaceError, above.
        return "cannot switch to state" in str(error)
    if isinstance(error, ConnectionError | socket.gaierror | TimeoutError):
        # TimeoutError: a connect that timed out (the request's own time limit is told apart
        # before: `web/graphql.py` answers it 504).
        return True
    # asyncio reports a connect that failed on every address of a host as a plain OSError
    # ("Multiple exceptions: [Errno 111] ..."), without errno.
    if isinstance(error, OSError) and not isinstance(error, FileNotFoundError | PermissionError):
        return error.errno in _CONNECTION_ERRNOS or "Connect call failed" in str(error)
    return False
