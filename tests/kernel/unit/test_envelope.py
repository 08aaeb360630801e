import uuid

import pytest
from marshmallow import Schema, fields

from kernel.events import catalog
from kernel.events.consumer import Event, PoisonEvent
from kernel.events.envelope import check_envelope, make_envelope


class ThingSchema(Schema):
    thing_id = fields.Integer(required=True)


THING_MADE = catalog.define("ecommunity.unit.thing.made.v1", ThingSchema).name


def test_an_envelope_carries_the_cloudevents_attributes():
    envelope = make_envelope("unit", THING_MADE, "thing/1", {"thing_id": 1}, correlation_id="abc")
    assert check_envelope(envelope) == envelope
    assert envelope["specversion"] == "1.0"
    assert uuid.UUID(envelope["id"]).version == 4
    assert envelope["source"] == "/ecommunity/unit"
    assert envelope["time"].endswith("Z")
    assert envelope["datacontenttype"] == "application/json"
    assert envelope["correlationid"] == "abc"


def test_a_consumer_gets_typed_data():
    event = Event.parse(make_envelope("unit", THING_MADE, "thing/1", {"thing_id": "7"}))
    assert event.data == {"thing_id": 7}
    assert event.subject == "thing/1"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("id"),
        lambda e: e.update(specversion="0.3"),
        lambda e: e.update(type="user-registered"),
        lambda e: e.update(type="ecommunity.unit.thing.vanished.v1"),
        lambda e: e.update(data={"thing_id": "seven"}),
        lambda e: e.update(data="not an object"),
    ],
)
def test_a_broken_envelope_is_poison(mutate):
    envelope = make_envelope("unit", THING_MADE, "thing/1", {"thing_id": 1})
    mutate(envelope)
    with pytest.raises(PoisonEvent):
        Event.parse(envelope)


def test_not_an_object_is_poison():
    with pytest.raises(PoisonEvent):
        Event.parse(["a", "list"])


def test_type_names_follow_the_convention():
    with pytest.raises(ValueError, match="does not follow"):
        catalog.define("UserRegistered", ThingSchema)
    with pytest.raises(ValueError, match="another schema"):
        catalog.define(THING_MADE, type("Other", (Schema,), {}))
    with pytest.raises(catalog.UnknownEventType):
        catalog.lookup("ecommunity.unit.thing.lost.v1")


def test_every_event_type_is_documented_in_the_catalogue():
    from pathlib import Path

    from kernel.config import SERVICES

    text = (Path(__file__).resolve().parents[3] / "docs" / "events.md").read_text()
    missing = [t.name for t in catalog.all_types() if f"`{t.name}`" not in text and t.service in SERVICES]
    assert missing == []
