"""Events per second through outbox → RabbitMQ → inbox, beside raw kombu on the same broker.

Both runs have the same shape: this process produces, another process consumes, as services do.

Raw: this process publishes N persistent messages to a durable queue with kombu while a kombu
consumer in a child process acknowledges them; the rate is N over the time from the first publish
to the last ack.

Pipeline: this process writes N events to a producer schema's outbox with ``Transaction.emit``,
in transactions of ``chunk`` events, and runs the producer's relay (confirmed, persistent
publishes); the consumer is a real service process (``ecommunity-service bench.events:BenchConsumer``)
that applies each event with its inbox row and an effect row. The rate is N over the time from the
first commit to the moment every effect is committed.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import eventlet
import psycopg2
from kombu import Connection, Exchange, Producer, Queue
from nameko.containers import ServiceContainer

from kernel.db import ConnectionPool, Transaction
from kernel.entrypoints import rpc
from kernel.events.consumer import on_event
from kernel.migrations import migrate_schema, migrations_for
from kernel.service import PlatformService
from kernel.testing.infra import free_port
from kernel.testing.processes import ServiceProcess

PRODUCER, CONSUMER = "bench_producer", "bench_consumer"
EFFECT_SQL = (
    "CREATE TABLE effects (event_id text PRIMARY KEY, subject text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT clock_timestamp());"
)


def _define_event() -> str:
    from marshmallow import Schema, fields

    from kernel.events import catalog

    class TickSchema(Schema):
        n = fields.Integer(required=True)

    return catalog.define("ecommunity.bench_producer.tick.counted.v1", TickSchema).name


TICK = _define_event()


class BenchConsumer(PlatformService):
    name = CONSUMER

    @on_event(TICK)
    def apply_tick(self, event):
        self.db.execute("INSERT INTO effects (event_id, subject) VALUES (%s, %s)", (event.id, event.subject))

    @rpc
    def noop(self):
        return None


class BenchProducer(PlatformService):
    name = PRODUCER


RAW_EXCHANGE = "bench.raw"


def raw_kombu(amqp_uri: str, count: int, size: int = 300) -> float:
    """Messages/s: kombu publishes persistent messages here, a kombu consumer process acks them."""
    name = f"bench.raw.{uuid.uuid4().hex[:6]}"
    queue = Queue(name, Exchange(RAW_EXCHANGE, "direct", durable=True), routing_key=name, durable=True)
    body = "x" * size
    with Connection(amqp_uri) as conn:
        queue(conn.default_channel).declare()
        consumer = subprocess.Popen(
            [sys.executable, "-m", "bench.raw_consumer", amqp_uri, name, str(count)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        producer = Producer(conn)
        start = time.time()
        for _ in range(count):
            producer.publish(body, exchange=RAW_EXCHANGE, routing_key=name, delivery_mode=2, serializer="json")
        out, _ = consumer.communicate(timeout=600)
        end = json.loads(out.strip().splitlines()[-1])["last_ack"]
        queue(conn.default_channel).delete()
    return count / (end - start)


def outbox_pipeline(settings, count: int, log_dir: Path, chunk: int = 100) -> tuple[float, float]:
    """(events/s end to end, seconds from the last commit to the last apply)."""
    url = settings.database_url
    for schema in (PRODUCER, CONSUMER):
        _ensure_schema(url, schema, EFFECT_SQL if schema == CONSUMER else "")
    port = free_port()
    consumer = ServiceProcess(
        "bench.events:BenchConsumer", settings, log_dir, port, {f"{CONSUMER.upper()}_HTTP_PORT": str(port)}
    ).start()
    producer = ServiceContainer(
        BenchProducer, {**settings.nameko_config(PRODUCER), "WEB_SERVER_ADDRESS": "127.0.0.1:0"}
    )
    pool = ConnectionPool(url, PRODUCER, size=2)
    check = psycopg2.connect(url, options=f"-c search_path={CONSUMER}")
    check.autocommit = True
    with check.cursor() as cur:
        cur.execute("TRUNCATE effects")
    try:
        consumer.wait_ready(60)
        producer.start()
        start = time.time()
        written = 0
        while written < count:
            tx = Transaction(pool, source=PRODUCER)
            for i in range(written, min(count, written + chunk)):
                tx.emit(TICK, f"tick/{i % 50}", {"n": i})
            tx.commit()
            tx.release()
            written = min(count, written + chunk)
            eventlet.sleep(0)
        committed = time.time()
        while True:
            with check.cursor() as cur:
                cur.execute("SELECT count(*), extract(epoch FROM max(applied_at)) FROM effects")
                applied, last = cur.fetchone()
            if applied >= count:
                break
            eventlet.sleep(0.05)
    finally:
        if os.environ.get("BENCH_DEBUG") and consumer.proc is not None:
            fields = Path(f"/proc/{consumer.proc.pid}/stat").read_text().split()
            print(f"consumer process cpu: {(int(fields[13]) + int(fields[14])) / 100:.2f}s", flush=True)
        check.close()
        pool.close()
        producer.stop()
        consumer.stop()
    end = float(last)
    return count / (end - start), max(0.0, end - committed)


def _ensure_schema(url: str, schema: str, extra_sql: str) -> None:
    import pathlib
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        if extra_sql:
            pathlib.Path(tmp, "0001_effects.sql").write_text(extra_sql)
        migrate_schema(url, schema, migrations_for(schema, pathlib.Path(tmp)), out=io.StringIO())
