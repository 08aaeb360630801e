"""Event handlers: applied once (inbox), retried with backoff, parked when they keep failing.

Usage in a service (the service declares ``db = Database()``)::

    @on_event("ecommunity.identity.user.erased.v1")
    def forget_user(self, event):          # event: kernel.events.consumer.Event
        self.db.execute("UPDATE members SET name = NULL WHERE user_id = %s", (event.data["user_id"],))

What happens to each delivery:

1. Messages that arrive together are applied together: one worker, one transaction (group
   commit — one fsync for many events, which is what makes the inbox fast), at most
   ``EVENT_BATCH_MAX`` events.
2. The envelope is checked (CloudEvents attributes, known type, ``data`` valid for the type's
   schema). A message that fails this can never succeed: it is parked at once.
3. The batch's event ids are inserted in ``inbox`` for this handler; ids already there
   (redeliveries) are skipped. The handler runs for each new event; the effects and the inbox rows
   commit together, and only then are the messages acknowledged.
4. If the handler raises for one event of a batch, the whole transaction rolls back and every
   event of the batch is applied again alone, at once — only the failing one counts an attempt.
   A failing event is tried again after each delay of ``EVENT_RETRY_DELAYS`` (the message stays
   unacknowledged meanwhile; other messages flow). After the last attempt the event is written to
   ``dead_letters`` with the error, then acknowledged. If even that write fails, the message is
   kept and the write retried: never dropped.
"""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from dataclasses import dataclass
from functools import partial

import eventlet
import psycopg2.extras
from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer

from kernel import logging as klogging
from kernel.config import settings_of
from kernel.db import Database, settle_transactions
from kernel.events import catalog
from kernel.events.envelope import check_envelope
from kernel.events.topology import handler_queue
from kernel.metrics import EVENTS_APPLIED, EVENTS_DUPLICATE, EVENTS_PARKED, HANDLER_FAILURES

log = logging.getLogger(__name__)


class PoisonEvent(ValueError):
    """The message can never be applied (not an envelope, unknown type, invalid data)."""


class BatchAborted(Exception):
    """The handler failed on the event at ``index``; the batch's transaction must roll back."""

    def __init__(self, index: int, exc_info):
        super().__init__(f"event {index} of the batch failed: {exc_info[1]!r}")
        self.index = index
        self.exc_info = exc_info


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    source: str
    subject: str
    time: str
    data: dict
    correlation_id: str | None = None

    @classmethod
    def parse(cls, body: object) -> Event:
        try:
            envelope = check_envelope(body)
        except ValidationError as exc:
            raise PoisonEvent(f"not a valid CloudEvents envelope: {exc.messages}") from None
        try:
            data = catalog.lookup(envelope["type"]).validate(envelope["data"])
        except catalog.UnknownEventType as exc:
            raise PoisonEvent(str(exc)) from None
        except ValidationError as exc:
            raise PoisonEvent(f"invalid data for {envelope['type']}: {exc.messages}") from None
        return cls(
            id=envelope["id"],
            type=envelope["type"],
            source=envelope["source"],
            subject=envelope["subject"],
            time=envelope["time"],
            data=data,
            correlation_id=envelope.get("correlationid"),
        )


class AckWindow:
    """Acknowledges settled messages in as few frames as possible, never one that is not settled.

    Deliveries on a channel carry increasing tags. When the oldest open delivery settles, one
    ``basic.ack(multiple=True)`` covers it and every settled delivery after it. A delivery that
    waits for a retry holds the window: the deliveries settled behind it are then acknowledged one
    by one, so a slow retry never stalls the flow.
    """

    def __init__(self):
        self._open: dict = {}  # channel -> {delivery_tag: settled?}, in delivery order

    def opened(self, message) -> None:
        self._open.setdefault(message.channel, {})[message.delivery_tag] = False

    def held(self, message) -> None:
        """This delivery will take a while (retry or parking)."""
        window = self._open.get(message.channel)
        if window is not None and message.delivery_tag in window:
            window[message.delivery_tag] = None
            self._advance(message.channel, window)

    def settled(self, message) -> None:
        window = self._open.get(message.channel)
        if window is None or message.delivery_tag not in window:
            return
        window[message.delivery_tag] = True
        self._advance(message.channel, window)

    def dropped(self, message) -> None:
        """Requeued or rejected elsewhere: forget it."""
        window = self._open.get(message.channel)
        if window is not None:
            window.pop(message.delivery_tag, None)

    def _advance(self, channel, window: dict) -> None:
        if channel.connection is None:  # the channel died: the broker redelivers what is open
            self._open.pop(channel, None)
            return
        last = None
        try:
            while window:
                tag = next(iter(window))
                if window[tag] is not True:
                    break
                del window[tag]
                last = tag
            if last is not None:
                channel.basic_ack(last, multiple=True)
            if window and next(iter(window.values())) is None:
                # held behind a retry: acknowledge what is settled one by one
                for tag in [t for t, state in window.items() if state is True]:
                    del window[tag]
                    channel.basic_ack(tag)
        except ConnectionError:
            self._open.pop(channel, None)


class EventQueueConsumer(QueueConsumer):
    """nameko's queue consumer, with its own connection, that never dies on an undecodable message
    and lets enough messages in to fill a few batches."""

    def setup(self):
        #: one window per container: deliveries of every handler share the channel's tags
        self.acks = AckWindow()
        super().setup()

    @property
    def prefetch_count(self):
        return max(self.container.max_workers, settings_of(self.container).event_batch_max * 4)

    def handle_message(self, provider, body, message):
        # nameko spawns a thread per message here; the handler only queues it for a batch
        provider.handle_message(body, message)

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider, message, exc):
        provider.handle_undecodable(message, exc)


class EventHandler(Consumer):
    """The entrypoint behind ``on_event``."""

    queue_consumer = EventQueueConsumer()

    def __init__(self, event_types, **kwargs):
        self.event_types = list(event_types)
        super().__init__(queue=None, requeue_on_error=True, **kwargs)

    def setup(self):
        for name in self.event_types:
            catalog.lookup(name)  # an unknown type is a programming error: fail at start
        settings = settings_of(self.container)
        self.retry_delays = settings.event_retry_delays
        self.consumer_name = f"{self.container.service_name}.{self.method_name}"
        self.queue = handler_queue(
            self.container.service_name, self.method_name, self.event_types, settings.event_queue_type
        )
        database = next((dep for dep in self.container.dependencies if isinstance(dep, Database)), None)
        if database is None:
            raise TypeError(f"{self.consumer_name} handles events but its service declares no Database")
        self.database: Database = database
        self.batch_max = settings.event_batch_max
        self._batch: list = []
        self._flush_scheduled = False
        super().setup()

    # -- delivery ------------------------------------------------------------------------------
    def handle_message(self, body, message):
        """Collect what the consumer loop delivers in one go; one worker applies the batch."""
        self.queue_consumer.acks.opened(message)
        self._batch.append((body, message, 1))
        if len(self._batch) >= self.batch_max:
            self._flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            eventlet.spawn_after(0, self._flush)

    def _flush(self):
        self._flush_scheduled = False
        batch, self._batch = self._batch, []
        if batch:
            self._spawn(batch)

    def _spawn(self, batch):
        try:
            self.container.spawn_worker(
                self,
                ([body for body, _message, _attempt in batch],),
                {},
                context_data={},
                handle_result=partial(self.handle_result, batch),
            )
        except ContainerBeingKilled:
            for _body, message, _attempt in batch:
                self.queue_consumer.acks.dropped(message)
                self.queue_consumer.requeue_message(message)

    def handle_result(self, batch, worker_ctx, result=None, exc_info=None):
        """Ack what committed; retry or park what failed (``result``: index -> exc_info)."""
        exc_info = settle_transactions(worker_ctx, exc_info)
        if exc_info is not None and isinstance(exc_info[1], BatchAborted) and len(batch) > 1:
            # one event failed and took the batch down: the others go again alone, no attempt spent
            failed = exc_info[1].index
            for index, item in enumerate(batch):
                if index == failed:
                    self._failed(item[0], item[1], item[2], exc_info[1].exc_info)
                else:
                    self._spawn([item])
            return result, exc_info
        # the transaction failed: every event failed this attempt
        failures = dict.fromkeys(range(len(batch)), exc_info) if exc_info is not None else result or {}
        for index, (body, message, attempt) in enumerate(batch):
            failure = failures.get(index)
            if failure is None:
                self.queue_consumer.acks.settled(message)
            else:
                self._failed(body, message, attempt, failure)
        return result, exc_info

    def _failed(self, body, message, attempt, exc_info):
        if isinstance(exc_info[1], BatchAborted):
            exc_info = exc_info[1].exc_info
        HANDLER_FAILURES.labels(self.container.service_name, self.method_name).inc()
        self.queue_consumer.acks.held(message)
        error = exc_info[1]
        if isinstance(error, PoisonEvent) or attempt > len(self.retry_delays):
            self.container.spawn_managed_thread(partial(self._park_then_ack, message, body, error, exc_info, attempt))
            return
        delay = self.retry_delays[attempt - 1]
        log.warning("%s failed (attempt %d), retrying in %.1fs: %s", self.consumer_name, attempt, delay, error)
        self.container.spawn_managed_thread(partial(self._retry_later, delay, body, message, attempt + 1))

    def _retry_later(self, delay, body, message, attempt):
        eventlet.sleep(delay)
        self._spawn([(body, message, attempt)])

    def handle_undecodable(self, message, exc):
        self.queue_consumer.acks.opened(message)
        self.queue_consumer.acks.held(message)
        error = PoisonEvent(f"undecodable message ({message.content_type}): {exc}")
        self.container.spawn_managed_thread(partial(self._park_then_ack, message, None, error, None, 1))

    # -- parking -------------------------------------------------------------------------------
    def _park_then_ack(self, message, body, error, exc_info, attempts):
        while True:
            try:
                self.park(message, body, error, exc_info, attempts)
                break
            except Exception:
                log.exception("%s could not park an event; keeping it", self.consumer_name)
                eventlet.sleep(2)
        self.queue_consumer.acks.settled(message)

    def park(self, message, body, error, exc_info, attempts):
        """Store the message (byte for byte) with its error in the service's ``dead_letters``."""
        event_id = body.get("id") if isinstance(body, dict) else None
        event_type = body.get("type") if isinstance(body, dict) else None
        raw = message.body if isinstance(message.body, bytes) else str(message.body).encode("utf-8")
        text = "".join(traceback.format_exception(*exc_info)) if exc_info else ""
        row = (
            self.consumer_name,
            self.queue.name,
            str(event_id)[:200] if event_id is not None else None,
            str(event_type)[:200] if event_type is not None else None,
            psycopg2.Binary(raw),
            message.content_type or "application/octet-stream",
            f"{type(error).__name__}: {error}",
            text,
            attempts,
        )
        insert = (
            "INSERT INTO dead_letters (consumer, queue, event_id, type, body, content_type, error, traceback,"
            " attempts, envelope) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        try:
            with self.database.transaction() as tx:
                tx.execute(insert, (*row, psycopg2.extras.Json(body) if isinstance(body, dict) else None))
        except psycopg2.DataError:
            # JSON that jsonb refuses (e.g. a \u0000 in a string): keep the bytes only
            with self.database.transaction() as tx:
                tx.execute(insert, (*row, None))
        EVENTS_PARKED.labels(self.container.service_name, self.method_name).inc()
        log.error(
            "%s parked event %s (%s) after %d attempt(s): %s",
            self.consumer_name,
            event_id,
            event_type,
            attempts,
            error,
        )


def on_event(*event_types: str):
    """Decorate a service method to apply events of these types exactly once (see module doc)."""
    if not event_types:
        raise TypeError("on_event needs at least one event type")

    def decorate(fn):
        @functools.wraps(fn)
        def apply(self, bodies):
            service, handler = type(self).name, fn.__name__
            consumer = f"{service}.{handler}"
            failures = {}
            events = []
            for index, body in enumerate(bodies):
                try:
                    events.append((index, Event.parse(body)))
                except PoisonEvent:
                    failures[index] = sys.exc_info()
            if not events:
                return failures
            rows = self.db.fetchall(
                "INSERT INTO inbox (consumer, event_id, type)"
                " SELECT %s, unnest(%s::text[]), unnest(%s::text[]) ON CONFLICT DO NOTHING RETURNING event_id",
                (consumer, [e.id for _, e in events], [e.type for _, e in events]),
            )
            new = {row["event_id"] for row in rows}
            applied = 0
            for index, event in events:
                if event.id not in new:
                    EVENTS_DUPLICATE.labels(service, handler).inc()
                    log.info("%s skipped redelivered event %s", consumer, event.id)
                    continue
                new.discard(event.id)  # the same event twice in one batch: apply it once
                self.db.context["correlation_id"] = event.correlation_id
                klogging.correlation_id.set(event.correlation_id)
                try:
                    fn(self, event)
                except Exception as exc:  # roll the batch back, saying which event failed
                    raise BatchAborted(index, sys.exc_info()) from exc
                applied += 1
            EVENTS_APPLIED.labels(service, handler).inc(applied)
            return failures

        return EventHandler.decorator(event_types)(apply)

    return decorate
