"""The webhook delivery worker: claims due deliveries, sends them (sender.py, signed by
signing.py) from a bounded pool, records every attempt, retries with backoff, and disables an
endpoint that is gone or has failed for three days (docs/architecture.md, "Webhooks").

Claiming (one short transaction, `claim`): PENDING deliveries whose next attempt is due, whose
lease is free or past, of an active webhook; oldest due first; at most the pool's free slots.
On PostgreSQL `FOR UPDATE SKIP LOCKED` passes over rows another instance is claiming; SQLite's
IMMEDIATE transaction lets one claimer in at a time. The claim sets `locked_until` (a lease,
the time limit plus LEASE_MARGIN) and commits: the HTTP request runs outside any transaction,
and the lease, not a held row lock, is what keeps other instances off. An instance killed
mid-request leaves its lease to run out; then the delivery is claimed again and sent with the
same `webhook-id` (at least once). The outcome is written only while the lease is still the
claimer's (a compare-and-set on `locked_until`), so a late answer never overwrites what a later
claimer recorded.

Order: a delivery is not claimed while an earlier one (smaller id) of the same webhook and lead
is in flight (leased) or due as well; so a lead's first attempts go out one after another, in
event order, even across instances. A retry waits for its time and does not hold the lead's
later events back: retries may overtake, and receivers order by the event id in the body. When
a candidate waits, the claim takes the delivery it waits for as well if that one is due and
free, even if it is due later than the candidates looked at (so a backlog always drains).

Outcomes: 2xx succeeds (and ends the webhook's failing streak); 410 Gone fails the delivery and
disables the webhook; anything else is retried after `config.retry_seconds[attempt - 1]`
(jitter ±10 %, longer if the receiver's Retry-After asks, capped at the longest step), and
fails when the steps are exhausted. A webhook whose every attempt has failed for
FAILING_DAYS is disabled. Disabling notifies the owner; a disabled webhook's pending
deliveries wait (updateWebhook may enable it again).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Min
from tortoise.queryset import QuerySet, ValuesQuery
from tortoise.transactions import in_transaction

from leadflow import clock, i18n
from leadflow.db.availability import database_unavailable, log_failure
from leadflow.db.enums import NotificationKind, WebhookDeliveryStatus
from leadflow.db.models import WEBHOOK_ERROR_MAX, Webhook, WebhookAttempt, WebhookDelivery
from leadflow.db.rounds import in_own_task
from leadflow.db.sql import is_postgres
from leadflow.services import notifications
from leadflow.services.webhooks import config
from leadflow.services.webhooks.sender import Outcome, Sender, readable
from leadflow.services.webhooks.signing import request_headers

log = logging.getLogger("leadflow.webhooks")

WORKER_TASK_NAME = "leadflow-webhook-worker"
SEND_TASK_NAME = "leadflow-webhook-send"
# Beyond the request's time limit: the claim before it and the record after it.
LEASE_MARGIN = timedelta(seconds=10)
# Every attempt failed for this long: the webhook is disabled.
FAILING_DAYS = 3
GONE_REASON = "answered 410 Gone"
# Candidates looked at per free slot: some wait behind an earlier delivery of their lead.
CANDIDATES_PER_SLOT = 4
# On shutdown, requests in flight get this long to be answered; then they are abandoned and
# their deliveries released for the next claim.
SHUTDOWN_GRACE_SECONDS = 3.0
# How long the shutdown waits for a round or a record to end before cancelling it.
STOP_SECONDS = 5.0
RETRY_SECONDS = (0.1, 5.0)

PENDING = WebhookDeliveryStatus.PENDING

Spawn = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[Any]"]


@dataclass(frozen=True, slots=True, eq=False)
class Claimed:
    """A delivery this worker holds the lease of until `lease_until` (the compare-and-set's
    token), with its webhook as it was at the claim. Each claim is an object of its own (no
    equality by value): the worker keys its requests under way by it."""

    delivery: WebhookDelivery
    webhook: Webhook
    lease_until: datetime


# ---------------------------------------------------------------------------------------------
# Claiming


async def claim(limit: int, in_flight: Collection[int] = ()) -> list[Claimed]:
    """Lease up to `limit` due deliveries for this worker (see the module's doc), none of the
    ids `in_flight` (this worker's requests under way: one whose lease ran out meanwhile is not
    sent a second time beside itself)."""
    if limit <= 0:
        return []
    now = clock.now()
    lease_until = now + timedelta(seconds=config.current().timeout_seconds) + LEASE_MARGIN
    async with in_transaction():
        due = _due(now).order_by("next_attempt_at", "id").limit(limit * CANDIDATES_PER_SLOT)
        if in_flight:
            due = due.filter(id__not_in=in_flight)
        candidates = await _skip_locked(due)
        chosen = await _first_of_their_lead(candidates, now, in_flight)
        chosen = sorted(chosen, key=lambda delivery: (delivery.next_attempt_at, delivery.id))
        chosen = chosen[:limit]
        if not chosen:
            return []
        ids = [delivery.id for delivery in chosen]
        # Guarded as well (the row locks, or SQLite's one writer, make it all of them).
        taken = await _due(now).filter(id__in=ids).update(locked_until=lease_until)
        if taken != len(ids):
            held = WebhookDelivery.filter(id__in=ids, locked_until=lease_until)
            kept = set(await held.values_list("id", flat=True))
            chosen = [delivery for delivery in chosen if delivery.id in kept]
        webhooks = await Webhook.in_bulk({delivery.webhook_id for delivery in chosen}, "id")
    return [
        Claimed(delivery, webhooks[delivery.webhook_id], lease_until)
        for delivery in chosen
        if delivery.webhook_id in webhooks
    ]


def _due(now: datetime) -> QuerySet[WebhookDelivery]:
    """Deliveries to send now: pending, due, not leased, of an active webhook."""
    active = Subquery(Webhook.filter(active=True).values("id"))
    return WebhookDelivery.filter(
        Q(locked_until=None) | Q(locked_until__lt=now),
        status=PENDING,
        next_attempt_at__lte=now,
        webhook_id__in=active,
    )


async def _skip_locked(due: QuerySet[WebhookDelivery]) -> list[WebhookDelivery]:
    """The rows of `due`, locked; on PostgreSQL rows another instance is claiming right now are
    passed over, not waited for (SQLite's IMMEDIATE transaction lets one claimer in)."""
    if is_postgres():
        due = due.select_for_update(skip_locked=True)
    return await due


async def _first_of_their_lead(
    candidates: Sequence[WebhookDelivery], now: datetime, in_flight: Collection[int]
) -> list[WebhookDelivery]:
    """The candidates no earlier delivery of the same webhook and lead waits before (none of
    smaller id is in flight, i.e. leased, or due as well), and, for each candidate that waits,
    the delivery it waits for if that one may be sent now. The latter matters: a lead's first
    delivery may be a retry due later than the lead's later deliveries, and so outside the
    candidates; without it the waiting ones would stay at the head of the queue for ever."""
    about_leads = [delivery for delivery in candidates if delivery.lead_id is not None]
    if not about_leads:
        return list(candidates)
    earliest = await _earliest_of_their_leads(about_leads, now)
    first = {(row["webhook_id"], row["lead_id"]): row["first_id"] for row in earliest}
    chosen: list[WebhookDelivery] = []
    waited_for: set[int] = set()
    for delivery in candidates:
        head = first.get((delivery.webhook_id, delivery.lead_id), delivery.id)
        if delivery.lead_id is None or head >= delivery.id:
            chosen.append(delivery)
        else:
            waited_for.add(head)
    waited_for -= {delivery.id for delivery in candidates}
    waited_for -= set(in_flight)
    if waited_for:
        # Due and free: claimable (a leased one is in flight, and its lead waits for it).
        chosen += await _skip_locked(_due(now).filter(id__in=waited_for))
    return chosen


def _earliest_of_their_leads(
    deliveries: Sequence[WebhookDelivery], now: datetime
) -> ValuesQuery[Literal[False]]:
    """Per webhook and lead of `deliveries`: the smallest id of its pending deliveries in flight
    or due (`first_id`). Read through the partial index of pending deliveries by webhook, lead
    and id (models.WebhookDelivery): a few rows, however long the webhook's log."""
    return (
        WebhookDelivery.filter(
            Q(locked_until__gt=now) | Q(next_attempt_at__lte=now),
            status=PENDING,
            webhook_id__in={delivery.webhook_id for delivery in deliveries},
            lead_id__in={delivery.lead_id for delivery in deliveries},
            id__lte=max(delivery.id for delivery in deliveries),
        )
        .annotate(first_id=Min("id"))
        .group_by("webhook_id", "lead_id")
        .values("webhook_id", "lead_id", "first_id")
    )


async def release(claimed: Claimed) -> None:
    """Give a claimed delivery back unsent (shutdown): the next claim takes it at once."""
    await WebhookDelivery.filter(
        id=claimed.delivery.id, status=PENDING, locked_until=claimed.lease_until
    ).update(locked_until=None)


# ---------------------------------------------------------------------------------------------
# Sending and recording


async def deliver(claimed: Claimed, sender: Sender) -> Outcome:
    """One attempt of a claimed delivery (no transaction open meanwhile)."""
    body = claimed.delivery.body.encode()
    headers = request_headers(claimed.webhook, claimed.delivery.message_id, body, clock.now())
    return await sender.post(claimed.webhook.url, body, headers)


async def record(claimed: Claimed, outcome: Outcome) -> bool:
    """Write the attempt and its consequences; False (nothing written) when the lease was lost
    (it ran out and another claim took over, or the webhook was deleted)."""
    now = clock.now()
    delivery = claimed.delivery
    attempts = delivery.attempts + 1
    next_attempt_at = None if outcome.succeeded or outcome.gone else _retry_at(attempts, outcome)
    if outcome.succeeded:
        change: dict[str, Any] = {"status": WebhookDeliveryStatus.SUCCEEDED, "finished_at": now}
    elif next_attempt_at is None:
        change = {"status": WebhookDeliveryStatus.FAILED, "finished_at": now}
    else:
        change = {"next_attempt_at": next_attempt_at}
    async with in_transaction():
        held = WebhookDelivery.filter(
            id=delivery.id, status=PENDING, locked_until=claimed.lease_until
        )
        if not await held.update(attempts=attempts, locked_until=None, **change):
            return False
        await WebhookAttempt.create(
            delivery_id=delivery.id,
            at=now,
            http_status=outcome.http_status,
            duration_ms=outcome.duration_ms,
            error=readable(outcome.error)[:WEBHOOK_ERROR_MAX],
            next_attempt_at=next_attempt_at,
        )
    # After the commit, not inside: a deletion of the webhook locks the webhook row, then its
    # deliveries' rows; this transaction held a delivery row and would then want the webhook
    # row (PostgreSQL's deadlock). A webhook deleted meanwhile makes these writes match no row.
    try:
        await _webhook_after(claimed.webhook, outcome, now)
    except Exception as error:
        # Not raised: the attempt is recorded and the delivery settled (it is not sent again);
        # only the webhook's failing streak misses this attempt.
        what = f"Updating webhook {claimed.webhook.id} after delivery {delivery.id}"
        log_failure(log, error, what, "the attempt is recorded; the streak misses it")
    return True


def _retry_at(attempts: int, outcome: Outcome) -> datetime | None:
    """When to try again after the `attempts`-th failed attempt; None: retries exhausted."""
    steps = config.current().retry_seconds
    if attempts > len(steps):
        return None
    wait = steps[attempts - 1] * random.uniform(0.9, 1.1)
    if outcome.retry_after_seconds is not None and outcome.retry_after_seconds > wait:
        wait = min(outcome.retry_after_seconds, max(steps))
    return clock.now() + timedelta(seconds=wait)


async def _webhook_after(webhook: Webhook, outcome: Outcome, now: datetime) -> None:
    """The webhook's failing streak, and its disabling (see the module's doc). Decided on the
    row as it is now, by guarded writes, not on the webhook as the claim read it: another
    delivery's outcome may have started or ended the streak meanwhile."""
    if outcome.succeeded:
        # Only where there is a streak to end: a success is the common case, its write is not.
        await Webhook.filter(
            Q(failing_since__isnull=False) | Q(consecutive_failures__gt=0), id=webhook.id
        ).update(failing_since=None, consecutive_failures=0)
        return
    if outcome.gone:
        await _disable(webhook.id, {}, GONE_REASON, "notification.webhookDisabledGone", now)
        return
    await Webhook.filter(id=webhook.id).update(consecutive_failures=F("consecutive_failures") + 1)
    await Webhook.filter(id=webhook.id, failing_since=None).update(failing_since=now)
    current = await Webhook.filter(id=webhook.id).only("id", "failing_since").first()
    since = current.failing_since if current is not None else None
    if since is None or now - since < timedelta(days=FAILING_DAYS):
        return
    await _disable(
        webhook.id,
        # Still failing that long when it is written: a success meanwhile ended the streak.
        {"failing_since__lte": now - timedelta(days=FAILING_DAYS)},
        f"failing since {since:%Y-%m-%d %H:%M} UTC",
        "notification.webhookDisabledFailing",
        now,
    )


async def _disable(
    webhook_id: int, unchanged: dict[str, Any], reason: str, message_key: str, now: datetime
) -> None:
    """Disable the webhook if it is still active (and still as `unchanged` says), and tell its
    owner: once, however many deliveries fail at the same moment, since only the write that
    changed the row notifies."""
    async with in_transaction():  # disabled and told together; the row held meanwhile
        disabled = await Webhook.filter(id=webhook_id, active=True, **unchanged).update(
            active=False, disabled_at=now, disabled_reason=reason
        )
        webhook = await Webhook.filter(id=webhook_id).first() if disabled else None
        if webhook is None:
            return  # disabled already (by another attempt, or its owner), or streak ended
        since = webhook.failing_since
        message = i18n.text(notifications.MESSAGE_LANGUAGE, message_key).format(
            url=webhook.url, since=f"{since:%d.%m.%Y %H:%M} UTC" if since else ""
        )
        await notifications.create_notifications(
            [
                notifications.NewNotification(
                    webhook.owner_id, NotificationKind.WEBHOOK_DISABLED, message
                )
            ]
        )
    log.warning("Webhook %d (%s) disabled: %s", webhook.id, webhook.url, reason)


# ---------------------------------------------------------------------------------------------
# The worker


class DeliveryWorker:
    """An instance's delivery loop: a fan-out round (events to deliveries), then claims for the
    free slots of the pool, each claimed delivery sent in a task of its own. Woken by `wake`
    (events were written), when a request ends (a slot is free), and every poll_seconds (due
    retries). Tasks come from `spawn` (leadflow.jobs)."""

    def __init__(self, spawn: Spawn, fan_out: Callable[[], Awaitable[object]] | None) -> None:
        self._spawn = spawn
        self._fan_out = fan_out
        self._config = config.current()
        self._sender: Sender | None = None
        self._wake: asyncio.Event | None = None
        self._fan_out_due = True
        self._stopping = False
        self._shutdown_deadline: float | None = None
        self._task: asyncio.Task[Any] | None = None
        self._in_flight: set[int] = set()
        # The requests under way, each with a limit the shutdown can bring forward.
        self._limits: dict[Claimed, asyncio.Timeout] = {}
        self._sends: set[asyncio.Task[Any]] = set()

    def wake(self) -> None:
        """New events may have committed: fan out and claim now."""
        self._fan_out_due = True
        if self._wake is not None:
            self._wake.set()

    async def start(self) -> None:
        self._config = config.current()
        self._stopping = False
        self._shutdown_deadline = None
        self._wake = asyncio.Event()  # created here: it belongs to the running loop
        self._sender = Sender(self._config)
        self._task = self._spawn(self._run(), WORKER_TASK_NAME)

    async def stop(self) -> None:
        """Stop claiming; requests in flight get SHUTDOWN_GRACE_SECONDS, then their deliveries
        are released (at least once: the next claim sends them again, same webhook-id)."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._task is not None:
            # Not cancelled if it can be helped: a round ends between its statements (SQLite's
            # one connection); one that hangs (a database that does not answer) is, at last.
            await _ended([self._task], STOP_SECONDS)
            self._task = None
        self._shutdown_deadline = asyncio.get_running_loop().time() + SHUTDOWN_GRACE_SECONDS
        for limit in self._limits.values():
            limit.reschedule(self._shutdown_deadline)
        if self._sends:
            await _ended(list(self._sends), SHUTDOWN_GRACE_SECONDS + STOP_SECONDS)
        if self._sender is not None:
            await self._sender.close()
            self._sender = None

    async def _run(self) -> None:
        assert self._wake is not None
        retry = RETRY_SECONDS[0]
        while not self._stopping:
            self._wake.clear()  # before the round: a wake-up during it runs another
            try:
                # A task of its own: what a round leaves in its context dies with it.
                await in_own_task(self.round())
                retry = RETRY_SECONDS[0]
            except Exception as error:
                wait = retry * random.uniform(0.5, 1.0)
                log_failure(log, error, "A webhook delivery round", f"retrying in {wait:.1f} s")
                retry = min(retry * 2, RETRY_SECONDS[1])
                await self._back_off(wait)
                continue
            if self._stopping:
                break
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.poll_seconds)
            if not self._wake.is_set():
                self._fan_out_due = True  # the poll: events another instance may have written

    async def _back_off(self, seconds: float) -> None:
        """Wait `seconds` after a failed round. Wake-ups do not cut it short (on SQLite every
        write wakes the worker: a failing database would log a failure per write); a stop does.
        What a wake-up asks for is kept: `wake` sets `_fan_out_due`, and the next round runs."""
        assert self._wake is not None
        deadline = asyncio.get_running_loop().time() + seconds
        while not self._stopping:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            self._wake.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)
        self._fan_out_due = True  # as after a poll: events another instance may have written

    async def round(self) -> int:
        """A fan-out round when events may be new, then a claim for the free slots; returns
        how many deliveries were claimed (their requests run on in their tasks)."""
        if self._fan_out is not None and self._fan_out_due:
            self._fan_out_due = False
            try:
                await self._fan_out()
            except Exception as error:
                # Retries and redeliveries wait in the log already: they still go out while
                # the fan-out fails; it is tried again on the next round.
                self._fan_out_due = True
                retrying = "retrying on the next round, sending what is due meanwhile"
                log_failure(log, error, "A webhook fan-out round", retrying)
        claimed = await claim(
            self._config.concurrency - len(self._in_flight), frozenset(self._in_flight)
        )
        for delivery in claimed:
            # Counted at once, so that the next round sees the slot taken.
            self._in_flight.add(delivery.delivery.id)
            task = self._spawn(self._send(delivery), SEND_TASK_NAME)
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)
        return len(claimed)

    async def _send(self, claimed: Claimed) -> None:
        delivery_id = claimed.delivery.id
        try:
            outcome = await self._attempted_in_grace(claimed)
            if outcome is None:
                await release(claimed)
                return
            await _recorded(claimed, outcome)
        except Exception as error:
            retrying = "retrying once its lease runs out"
            log_failure(log, error, f"Webhook delivery {delivery_id}", retrying)
        finally:
            self._in_flight.discard(delivery_id)
            if self._wake is not None and not self._stopping:
                self._wake.set()  # a free slot

    async def _attempted_in_grace(self, claimed: Claimed) -> Outcome | None:
        """The attempt's outcome; None when the shutdown's grace ran out first (the request's
        own time limit is an outcome), under a limit `stop` brings forward."""
        assert self._sender is not None
        try:
            async with asyncio.timeout(self._shutdown_deadline) as limit:
                self._limits[claimed] = limit
                try:
                    return await _attempted(claimed, self._sender)
                finally:
                    del self._limits[claimed]
        except TimeoutError:
            return None


async def _attempted(claimed: Claimed, sender: Sender) -> Outcome:
    """The attempt's outcome; one that went wrong here, not at the receiver (a bug, a body
    that cannot be signed), is a failed attempt too: recorded, so the delivery's retries go
    on and end, instead of the lease running out and the same thing happening again."""
    started = asyncio.get_running_loop().time()
    try:
        return await deliver(claimed, sender)
    except Exception as error:
        log.exception("Webhook delivery %d could not be sent", claimed.delivery.id)
        duration_ms = round((asyncio.get_running_loop().time() - started) * 1000)
        return Outcome(None, duration_ms, f"internal error: {type(error).__name__}")


async def _recorded(claimed: Claimed, outcome: Outcome) -> None:
    """Record the outcome; if that fails, a failed attempt with no details from the answer
    (the details may be what failed), and if that fails too, release the delivery (sent again
    by the next claim rather than after its lease). The database unavailable: raised at once
    (the others would fail the same way); the delivery is sent again after its lease."""
    try:
        if not await record(claimed, outcome):
            await _log_unrecorded(claimed)
        return
    except Exception as error:
        if database_unavailable(error):
            raise  # a plainer outcome or a release would fail the same way: the lease runs out
        log.exception("The outcome of webhook delivery %d was not recorded", claimed.delivery.id)
    try:
        plain = Outcome(None, outcome.duration_ms, "internal error: the outcome was not recorded")
        await record(claimed, plain)
    except Exception:
        log.exception("Webhook delivery %d: not recorded; released", claimed.delivery.id)
        await release(claimed)


async def _log_unrecorded(claimed: Claimed) -> None:
    """Why an outcome found its delivery no longer held: a deleted webhook (or a log pruned
    meanwhile) is nothing to worry about; a lease that ran out is (too slow a round trip)."""
    delivery_id = claimed.delivery.id
    if not await WebhookDelivery.exists(id=delivery_id):
        log.info("Webhook delivery %d was deleted (with its webhook) while sent", delivery_id)
        return
    log.warning(
        "Webhook delivery %d: its lease ran out before the outcome was recorded; another claim "
        "sends it again",
        delivery_id,
    )


async def _ended(tasks: list[asyncio.Task[Any]], timeout: float) -> None:
    """Wait up to `timeout` for `tasks` to end; cancel what has not."""
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
