"""Nothing lost: poison events are parked and replayable; crashes and broker cuts lose nothing."""

import io
from contextlib import redirect_stdout

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from kernel.events.deadletters import main as deadletters
from kernel.events.outbox import OutboxRelay
from kernel.metrics import EVENTS_PARKED, REGISTRY
from kernel.testing.infra import free_port
from kernel.testing.proxy import TcpProxy
from kernel.testing.waiting import eventually
from tests.support.fixtures import scalar
from tests.support.services import ConsumerService, ProducerService


def applied(db):
    return scalar(db, "SELECT count(*) FROM probe_consumer.applied_notes")


def duplicates(db):
    return scalar(db, "SELECT count(*) FROM probe_consumer.applied_notes WHERE times_applied <> 1")


def test_a_poison_event_is_retried_parked_and_replayed_after_a_fix(
    make_settings, fresh_amqp_uri, probe_db, start_container, monkeypatch
):
    settings = make_settings(amqp_uri=fresh_amqp_uri, event_retry_delays=(0.05, 0.1, 0.2))
    start_container(ConsumerService, settings)
    start_container(ProducerService, settings)
    parked_before = EVENTS_PARKED.labels("probe_consumer", "apply_note")._value.get()

    with ClusterRpcProxy({"AMQP_URI": fresh_amqp_uri}) as rpc:
        rpc.probe_producer.write_note("bad", "poison pill")
        for i in range(5):
            rpc.probe_producer.write_note(f"ok{i}", "fine")

    # the events behind the poison keep flowing
    eventually(lambda: applied(probe_db) == 5, what="the five good notes")
    row = eventually(
        lambda: _fetch(probe_db, "SELECT event_id, type, error, attempts, envelope FROM probe_consumer.dead_letters"),
        what="the poison event to be parked",
    )
    event_id, _event_type, error, attempts, envelope = row
    assert attempts == 4  # first try + three retries
    assert "cannot apply poison note bad" in error
    assert envelope["id"] == event_id
    assert envelope["data"]["note_id"] == "bad"
    assert EVENTS_PARKED.labels("probe_consumer", "apply_note")._value.get() == parked_before + 1
    assert _metric("ecommunity_events_parked_waiting", schema="probe_consumer") == 1.0

    # listing shows it with its error
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AMQP_URI", settings.amqp_uri)
    out = io.StringIO()
    with redirect_stdout(out):
        assert deadletters(["--schema", "probe_consumer", "list"]) == 0
    assert "cannot apply poison note bad" in out.getvalue()

    # fix the cause, replay: applied once, and no longer waiting
    probe_db.cursor().execute("INSERT INTO probe_consumer.fixes VALUES ('bad')")
    with redirect_stdout(io.StringIO()):
        assert deadletters(["--schema", "probe_consumer", "replay"]) == 0
    eventually(lambda: applied(probe_db) == 6, what="the replayed note")
    assert duplicates(probe_db) == 0
    assert scalar(probe_db, "SELECT count(*) FROM probe_consumer.dead_letters WHERE replayed_at IS NULL") == 0


def test_an_undecodable_message_is_parked_and_the_consumer_lives_on(
    make_settings, fresh_amqp_uri, probe_db, start_container
):
    from kombu import Connection, Producer

    settings = make_settings(amqp_uri=fresh_amqp_uri)
    start_container(ConsumerService, settings)
    start_container(ProducerService, settings)
    with Connection(fresh_amqp_uri) as conn:
        producer = Producer(conn)
        producer.publish(
            b"\x00not json",
            exchange="",
            routing_key="probe_consumer.apply_note",
            content_type="application/octet-stream",
            delivery_mode=2,
        )
        producer.publish(
            '{"half": ',
            exchange="",
            routing_key="probe_consumer.apply_note",
            content_type="application/cloudevents+json",
            content_encoding="utf-8",
            delivery_mode=2,
        )
    eventually(
        lambda: scalar(probe_db, "SELECT count(*) FROM probe_consumer.dead_letters") == 2,
        what="both bad messages parked",
    )
    with ClusterRpcProxy({"AMQP_URI": fresh_amqp_uri}) as rpc:
        rpc.probe_producer.write_note("after", "fine")
    eventually(lambda: applied(probe_db) == 1, what="a good note after the bad messages")


def test_events_committed_before_a_crash_are_delivered_after_restart(
    make_settings, fresh_amqp_uri, probe_db, start_container, processes
):
    settings = make_settings(amqp_uri=fresh_amqp_uri)
    start_container(ConsumerService, settings)
    port = free_port()
    # the relay is held back so that the process dies with committed, unpublished events
    first = processes(
        "tests.support.services:ProducerService",
        settings,
        port,
        {"OUTBOX_RELAY_ENABLED": "false", "PROBE_PRODUCER_HTTP_PORT": str(port)},
    )
    first.wait_ready()
    with ClusterRpcProxy({"AMQP_URI": fresh_amqp_uri}) as rpc:
        rpc.probe_producer.write_notes("crash", 25)
    first.kill()  # SIGKILL between commit and publish
    assert scalar(probe_db, "SELECT count(*) FROM probe_producer.outbox WHERE sent_at IS NULL") == 25
    assert applied(probe_db) == 0

    second = processes(
        "tests.support.services:ProducerService", settings, port, {"PROBE_PRODUCER_HTTP_PORT": str(port)}
    )
    second.wait_ready()
    eventually(lambda: applied(probe_db) == 25, what="all 25 events after the restart")
    assert duplicates(probe_db) == 0
    assert scalar(probe_db, "SELECT count(*) FROM probe_producer.outbox WHERE sent_at IS NULL") == 0


def test_a_broker_cut_while_producing_loses_nothing(make_settings, fresh_amqp_uri, probe_db, start_container):
    settings = make_settings(amqp_uri=fresh_amqp_uri, outbox_relay_enabled=False)
    start_container(ConsumerService, settings)
    start_container(ProducerService, settings)
    host, port = "127.0.0.1", 5672
    proxy = TcpProxy(host, port)
    relay = OutboxRelay(
        settings.database_url,
        "probe_producer",
        proxy.url_for(fresh_amqp_uri),
        batch_size=20,
        poll_seconds=0.2,
        backoff_max=0.5,
    )
    relay_thread = eventlet.spawn(relay.run)
    total, per_call = 300, 5
    try:
        with ClusterRpcProxy({"AMQP_URI": fresh_amqp_uri}) as rpc:
            for call in range(total // per_call):
                rpc.probe_producer.write_notes(f"cut{call}", per_call)
                if call == 10:
                    eventually(lambda: applied(probe_db) > 0, what="some events before the cut")
                    proxy.cut()
                if call == 40:
                    assert proxy.connections_made >= 1
                    # while the broker is away, the backlog shows on /metrics
                    assert _metric("ecommunity_outbox_backlog", schema="probe_producer") > 0
                    assert _metric("ecommunity_outbox_oldest_unsent_seconds", schema="probe_producer") > 0
                    proxy.restore()
                eventlet.sleep(0.01)
        eventually(lambda: applied(probe_db) == total, timeout=60, what=f"all {total} events")
    finally:
        relay.stop()
        relay_thread.wait()
        proxy.close()
    assert duplicates(probe_db) == 0
    assert proxy.connections_made >= 2  # the relay reconnected after the cut
    assert _metric("ecommunity_outbox_backlog", schema="probe_producer") == 0
    assert scalar(probe_db, "SELECT count(*) FROM probe_producer.outbox WHERE sent_at IS NULL") == 0


def _fetch(db, query):
    with db.cursor() as cur:
        cur.execute(query)
        return cur.fetchone()


def _metric(name, **labels):
    value = REGISTRY.get_sample_value(name, labels)
    if value is None:
        pytest.fail(f"metric {name}{labels} not exposed")
    return value
