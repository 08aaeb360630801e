"""Transactional outbox: events are rows written with the state change; a relay publishes them.

``write_to_outbox`` validates the event (unknown type or invalid data raises inside the producer's
transaction, which then rolls back) and inserts it; a ``NOTIFY`` wakes the relay when the
transaction commits.

``OutboxRelay`` publishes unsent rows in ``seq`` order (so in order per subject: a later change
of the same entity waits on its row lock and so gets a later ``seq``), as persistent messages with
publisher confirms, then marks them sent. One relay per schema is active at a time (a PostgreSQL
advisory lock), the others stand by, so replicas neither duplicate nor reorder. If RabbitMQ or
PostgreSQL is unreachable it backs off exponentially and catches up; rows are only marked sent once
the broker confirmed them, so a crash at any point re-publishes (consumers' inboxes absorb the
duplicate) and never loses.
"""

from __future__ import annotations

import contextlib
import logging
import select
import time
import zlib
from collections.abc import Callable
from typing import Any

import amqp
import psycopg2
import psycopg2.extras
from marshmallow import ValidationError

from kernel.config import redact
from kernel.db import connect
from kernel.events import catalog
from kernel.events.envelope import CONTENT_TYPE, make_envelope
from kernel.events.topology import EXCHANGE, declare_exchange
from kernel.metrics import OUTBOX_PUBLISHED, OUTBOX_RELAY_ERRORS

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "ecommunity_outbox"


class InvalidEvent(ValueError):
    """The event's data does not match its type's schema."""

    def __init__(self, event_type: str, errors: dict):
        super().__init__(f"invalid data for {event_type}: {errors}")
        self.errors = errors


def build_event(
    source: str, event_type: str, subject: str, data: dict, correlation_id: str | None = None, **extensions: Any
) -> dict:
    """The validated envelope of a new event; raises UnknownEventType or InvalidEvent."""
    definition = catalog.lookup(event_type)
    try:
        clean = definition.validate(data)
    except ValidationError as exc:
        raise InvalidEvent(event_type, exc.messages_dict) from None
    return make_envelope(source, event_type, subject, definition.dump(clean), correlation_id, **extensions)


def insert_into_outbox(tx, envelopes: list[dict]) -> None:
    """One multi-row INSERT for the transaction's events, and a NOTIFY that wakes the relay on commit."""
    if not envelopes:
        return
    with tx.cursor() as cur:
        psycopg2.extras.execute_values(
            cur,
            "INSERT INTO outbox (event_id, type, subject, envelope) VALUES %s",
            [(e["id"], e["type"], e["subject"], psycopg2.extras.Json(e)) for e in envelopes],
            page_size=1000,
        )
        cur.execute("SELECT pg_notify(%s, current_schema())", (NOTIFY_CHANNEL,))


def write_to_outbox(
    tx, event_type: str, subject: str, data: dict, correlation_id: str | None = None, **extensions: Any
) -> dict:
    """Validate one event and write it at once (``Transaction.emit`` batches instead)."""
    envelope = build_event(tx.source, event_type, subject, data, correlation_id, **extensions)
    insert_into_outbox(tx, [envelope])
    return envelope


def _lock_key(schema: str) -> int:
    return zlib.crc32(f"ecommunity.outbox.{schema}".encode()) & 0x7FFFFFFF


class OutboxRelay:
    """Publishes one schema's outbox. ``run`` loops until ``stop``; ``relay_batch`` is one pass."""

    def __init__(
        self,
        database_url: str,
        schema: str,
        amqp_uri: str,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.database_url = database_url
        self.schema = schema
        self.amqp_uri = amqp_uri
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.backoff_max = backoff_max
        self.sleep = sleep
        self._db: Any = None
        self._leader = False
        self._amqp: amqp.Connection | None = None
        self._channel = None
        self._acked = 0
        self._nacked: set[int] = set()
        self._published = 0
        self._stopping = False
        self._last_purge = 0.0

    # -- connections ---------------------------------------------------------------------------
    def _database(self):
        if self._db is None or self._db.closed:
            self._db = connect(self.database_url, self.schema, f"ecommunity-{self.schema}-relay")
            self._db.autocommit = True
            self._leader = False
        return self._db

    def _lead(self) -> bool:
        """Hold the schema's advisory lock (only one relay publishes a schema)."""
        conn = self._database()
        if not self._leader:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (_lock_key(self.schema),))
                self._leader = bool(cur.fetchone()[0])
                if self._leader:
                    cur.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    log.info("outbox relay for %s is active", self.schema)
        return self._leader

    def _broker(self):
        if self._channel is None:
            parts = _amqp_params(self.amqp_uri)
            conn = amqp.Connection(**parts, connect_timeout=5, heartbeat=0)
            conn.connect()
            channel = conn.channel()
            declare_exchange(channel)
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._amqp, self._channel = conn, channel
            self._acked = 0
            self._published = 0
            self._nacked = set()
        return self._channel

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._acked = max(self._acked, delivery_tag)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._nacked.update(range(self._acked + 1, delivery_tag + 1))
        else:
            self._nacked.add(delivery_tag)
        self._acked = max(self._acked, delivery_tag)

    def _drop_broker(self) -> None:
        conn, self._amqp, self._channel = self._amqp, None, None
        if conn is not None:
            # the connection is already broken; there is nothing to save
            with contextlib.suppress(Exception):
                conn.collect()

    def _drop_database(self) -> None:
        conn, self._db, self._leader = self._db, None, False
        if conn is not None:
            with contextlib.suppress(psycopg2.Error):
                conn.close()

    def close(self) -> None:
        self._drop_broker()
        self._drop_database()

    # -- work ----------------------------------------------------------------------------------
    def relay_batch(self) -> int:
        """Publish up to ``batch_size`` unsent events, confirmed; returns how many were sent."""
        if not self._lead():
            return 0
        conn = self._database()
        with conn.cursor() as cur:
            cur.execute(
                "SELECT seq, type, envelope::text FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT %s",
                (self.batch_size,),
            )
            rows = cur.fetchall()
        if not rows:
            return 0
        channel = self._broker()
        first_tag = self._published + 1
        for _seq, event_type, envelope_text in rows:
            message = amqp.Message(
                envelope_text,
                content_type=CONTENT_TYPE,
                content_encoding="utf-8",
                delivery_mode=2,
                type=event_type,
            )
            channel.basic_publish(message, exchange=EXCHANGE, routing_key=event_type)
            self._published += 1
        last_tag = self._published
        deadline = time.monotonic() + 30
        while self._acked < last_tag:
            if time.monotonic() > deadline:
                raise TimeoutError("RabbitMQ did not confirm the published events in 30s")
            with contextlib.suppress(TimeoutError):
                self._amqp.drain_events(timeout=1)  # type: ignore[union-attr]
        confirmed = [seq for offset, (seq, _t, _e) in enumerate(rows) if (first_tag + offset) not in self._nacked]
        self._nacked.difference_update(range(first_tag, last_tag + 1))
        if confirmed:
            with conn.cursor() as cur:
                cur.execute("UPDATE outbox SET sent_at = clock_timestamp() WHERE seq = ANY(%s)", (confirmed,))
        OUTBOX_PUBLISHED.labels(self.schema).inc(len(confirmed))
        if len(confirmed) < len(rows):
            raise RuntimeError(f"RabbitMQ refused {len(rows) - len(confirmed)} events; they will be retried")
        return len(confirmed)

    def _purge_old(self) -> None:
        if time.monotonic() - self._last_purge < 600:
            return
        self._last_purge = time.monotonic()
        with self._database().cursor() as cur:
            cur.execute("DELETE FROM outbox WHERE sent_at < now() - interval '7 days'")

    def _wait_for_work(self) -> None:
        conn = self._db
        if conn is None or not self._leader:
            self.sleep(self.poll_seconds)
            return
        readable, _, _ = select.select([conn], [], [], self.poll_seconds)
        if readable:
            conn.poll()
            conn.notifies.clear()

    def stop(self) -> None:
        self._stopping = True

    def run(self) -> None:
        backoff = 0.0
        while not self._stopping:
            try:
                sent = self.relay_batch()
                backoff = 0.0
                if sent < self.batch_size:
                    self._purge_old()
                    self._wait_for_work()
            except Exception as exc:  # noqa: BLE001 - any failure: drop connections, back off, retry
                OUTBOX_RELAY_ERRORS.labels(self.schema).inc()
                backoff = min(self.backoff_max, max(0.1, backoff * 2))
                log.warning(
                    "outbox relay for %s failed (%s: %s); retrying in %.1fs",
                    self.schema,
                    type(exc).__name__,
                    redact(str(exc)),
                    backoff,
                )
                self._drop_broker()
                if isinstance(exc, psycopg2.Error):
                    self._drop_database()
                self.sleep(backoff)
        self.close()


def _amqp_params(uri: str) -> dict:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(uri)
    vhost = unquote(parts.path[1:]) if parts.path and parts.path != "/" else "/"
    return {
        "host": f"{parts.hostname or '127.0.0.1'}:{parts.port or 5672}",
        "userid": unquote(parts.username or "guest"),
        "password": unquote(parts.password or "guest"),
        "virtual_host": vhost,
    }
