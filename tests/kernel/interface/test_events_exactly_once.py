"""A producer's transaction emits an event that a consumer in another service applies exactly once."""

import json

import pytest
from kombu import Connection, Producer
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from kernel.events.envelope import CONTENT_TYPE, make_envelope
from kernel.metrics import EVENTS_DUPLICATE
from kernel.testing.waiting import eventually
from tests.support.events import NOTE_WRITTEN
from tests.support.fixtures import scalar
from tests.support.services import ConsumerService, ProducerService


@pytest.fixture
def probe_pair(make_settings, fresh_amqp_uri, probe_db, start_container):
    settings = make_settings(amqp_uri=fresh_amqp_uri)
    start_container(ConsumerService, settings)
    start_container(ProducerService, settings)
    with ClusterRpcProxy({"AMQP_URI": fresh_amqp_uri}, context_data={"correlation_id": "req-42"}) as rpc:
        yield rpc, settings


def test_event_from_a_committed_transaction_is_applied_once(probe_pair, probe_db):
    rpc, _ = probe_pair
    rpc.probe_producer.write_note("n1", "hello")

    eventually(lambda: scalar(probe_db, "SELECT count(*) FROM probe_consumer.applied_notes"), what="note applied")
    assert scalar(probe_db, "SELECT times_applied FROM probe_consumer.applied_notes WHERE note_id='n1'") == 1
    # the correlation id of the request travelled into the event and the consumer's worker
    assert scalar(probe_db, "SELECT correlation_id FROM probe_consumer.applied_notes WHERE note_id='n1'") == "req-42"
    envelope = scalar(probe_db, "SELECT envelope FROM probe_producer.outbox")
    assert envelope["specversion"] == "1.0"
    assert envelope["type"] == NOTE_WRITTEN
    assert envelope["source"] == "/ecommunity/probe_producer"
    assert envelope["subject"] == "note/n1"
    assert envelope["correlationid"] == "req-42"
    eventually(lambda: scalar(probe_db, "SELECT count(*) FROM probe_producer.outbox WHERE sent_at IS NOT NULL"))


def test_the_same_event_delivered_twice_has_one_effect(probe_pair, probe_db):
    _, settings = probe_pair
    envelope = make_envelope(
        "probe_producer", NOTE_WRITTEN, "note/dup", {"note_id": "dup", "text": "twice"}, correlation_id="c"
    )
    before = EVENTS_DUPLICATE.labels("probe_consumer", "apply_note")._value.get()
    with Connection(settings.amqp_uri) as conn:
        producer = Producer(conn)
        for _ in range(2):
            producer.publish(
                json.dumps(envelope),
                exchange="",
                routing_key="probe_consumer.apply_note",
                content_type=CONTENT_TYPE,
                content_encoding="utf-8",
                delivery_mode=2,
            )
    eventually(
        lambda: EVENTS_DUPLICATE.labels("probe_consumer", "apply_note")._value.get() == before + 1,
        what="the second delivery to be skipped",
    )
    assert scalar(probe_db, "SELECT times_applied FROM probe_consumer.applied_notes WHERE note_id='dup'") == 1
    assert scalar(probe_db, "SELECT count(*) FROM probe_consumer.inbox") == 1


@pytest.mark.parametrize("call", ["write_invalid", "write_unknown_type"])
def test_an_invalid_event_is_refused_in_the_producers_transaction(probe_pair, probe_db, call):
    rpc, _ = probe_pair
    with pytest.raises(RemoteError) as raised:
        getattr(rpc.probe_producer, call)("bad")
    assert raised.value.exc_type in ("InvalidEvent", "UnknownEventType")
    # the state change rolled back with the event: no note, no outbox row
    assert scalar(probe_db, "SELECT count(*) FROM probe_producer.notes") == 0
    assert scalar(probe_db, "SELECT count(*) FROM probe_producer.outbox") == 0


def test_an_event_emitted_before_its_consumer_ever_ran_waits_for_it(
    make_settings, fresh_amqp_uri, probe_db, start_container
):
    from kernel.events.topology import declare

    assert declare(fresh_amqp_uri, [ConsumerService]) == ["probe_consumer.apply_note"]  # what migrate does
    settings = make_settings(amqp_uri=fresh_amqp_uri)
    start_container(ProducerService, settings)
    with ClusterRpcProxy({"AMQP_URI": fresh_amqp_uri}) as rpc:
        rpc.probe_producer.write_note("early", "before the consumer")
    eventually(lambda: scalar(probe_db, "SELECT count(*) FROM probe_producer.outbox WHERE sent_at IS NOT NULL"))
    start_container(ConsumerService, settings)
    eventually(lambda: scalar(probe_db, "SELECT count(*) FROM probe_consumer.applied_notes") == 1)
