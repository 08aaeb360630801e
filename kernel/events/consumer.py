"""Event handlers: applied once (inbox), retried with backoff, parked when they keep failing.

Usage in a service (the service declares ``db = Database()``)::

    @on_event("ecommunity.identity.user.erased.v1")
    def forget_user(self, event):          # event: kernel.events.consumer.Event
        self.db.execute("UPDATE members SET name = NULL WHERE user_id = %s", (event.data["user_id"],))

What happens to each delivery:

1. The envelope is checked (CloudEvents attributes, known type, ``data`` valid for the type's
   schema). A message that fails this can never succeed: it is parked at once.
2. In the service's transaction, the event id is inserted in ``inbox`` for this handler; if it is
   already there (a redelivery) the handler is skipped. Otherwise the handler runs; its effect and
   the inbox row commit together, and only then is the message acknowledged.
3. If the handler raises, the transaction rolls back and the handler is tried again after each delay
   of ``EVENT_RETRY_DELAYS`` (the message stays unacknowledged meanwhile, other messages flow).
   After the last attempt the event is written to ``dead_letters`` with the error, then
   acknowledged. If even that write fails, the message is returned to the queue: never dropped.
"""

from __future__ import annotations

import functools
import logging
import traceback
from dataclasses import dataclass
from functools import partial

import eventlet
import psycopg2.extras
from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer, QueueConsumer

from kernel.config import settings_of
from kernel.db import Database, settle_transactions
from kernel.events import catalog
from kernel.events.envelope import check_envelope
from kernel.events.topology import handler_queue
from kernel.metrics import EVENTS_APPLIED, EVENTS_DUPLICATE, EVENTS_PARKED, HANDLER_FAILURES

log = logging.getLogger(__name__)


class PoisonEvent(ValueError):
    """The message can never be applied (not an envelope, unknown type, invalid data)."""


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


class EventQueueConsumer(QueueConsumer):
    """nameko's queue consumer, with its own connection, that never dies on an undecodable message."""

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
        self.database = next(
            (dep for dep in self.container.dependencies if isinstance(dep, Database)), None
        )
        if self.database is None:
            raise TypeError(f"{self.consumer_name} handles events but its service declares no Database")
        super().setup()

    # -- delivery ------------------------------------------------------------------------------
    def handle_message(self, body, message):
        self._spawn(body, message, attempt=1)

    def _spawn(self, body, message, attempt):
        context_data = {}
        if isinstance(body, dict) and isinstance(body.get("correlationid"), str):
            context_data["correlation_id"] = body["correlationid"]
        try:
            self.container.spawn_worker(
                self,
                (body,),
                {},
                context_data=context_data,
                handle_result=partial(self.handle_result, message, body, attempt),
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, body, attempt, worker_ctx, result=None, exc_info=None):
        exc_info = settle_transactions(worker_ctx, exc_info)
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, exc_info
        HANDLER_FAILURES.labels(self.container.service_name, self.method_name).inc()
        error = exc_info[1]
        if isinstance(error, PoisonEvent) or attempt > len(self.retry_delays):
            self.container.spawn_managed_thread(
                partial(self._park_then_ack, message, body, error, exc_info, attempt)
            )
        else:
            delay = self.retry_delays[attempt - 1]
            log.warning(
                "%s failed (attempt %d), retrying in %.1fs: %s", self.consumer_name, attempt, delay, error
            )
            self.container.spawn_managed_thread(partial(self._retry_later, delay, message, body, attempt + 1))
        return result, exc_info

    def _retry_later(self, delay, message, body, attempt):
        eventlet.sleep(delay)
        self._spawn(body, message, attempt)

    def handle_undecodable(self, message, exc):
        error = PoisonEvent(f"undecodable message ({message.content_type}): {exc}")
        self.container.spawn_managed_thread(partial(self._park_then_ack, message, None, error, None, 1))

    # -- parking -------------------------------------------------------------------------------
    def _park_then_ack(self, message, body, error, exc_info, attempts):
        while True:
            try:
                self.park(message, body, error, exc_info, attempts)
                break
            except Exception:  # noqa: BLE001 - the store is down: keep the message, try again
                log.exception("%s could not park an event; keeping it", self.consumer_name)
                eventlet.sleep(2)
        self.queue_consumer.ack_message(message)

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
        def apply(self, body):
            event = Event.parse(body)
            consumer = f"{type(self).name}.{fn.__name__}"
            inserted = self.db.execute(
                "INSERT INTO inbox (consumer, event_id, type) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (consumer, event.id, event.type),
            )
            if not inserted:
                EVENTS_DUPLICATE.labels(type(self).name, fn.__name__).inc()
                log.info("%s skipped redelivered event %s", consumer, event.id)
                return None
            result = fn(self, event)
            EVENTS_APPLIED.labels(type(self).name, fn.__name__).inc()
            return result

        return EventHandler.decorator(event_types)(apply)

    return decorate
