"""The registry of event types: ``define`` one, ``lookup`` one by name, list ``all_types``.

Every type is defined once, in ``kernel.events.catalog`` (one module per producing service), with
the marshmallow schema of its ``data``; an event type that is not registered cannot be emitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marshmallow import Schema

from kernel.events.envelope import TYPE_PATTERN


class UnknownEventType(LookupError):
    """The type is not in the catalogue."""


@dataclass(frozen=True)
class EventType:
    name: str  # e.g. ecommunity.identity.user.registered.v1
    schema: type[Schema]
    description: str = ""

    @property
    def service(self) -> str:
        return self.name.split(".")[1]

    @property
    def instance(self) -> Schema:
        """One schema instance per type (marshmallow schemas are reusable and costly to build)."""
        cached = _INSTANCES.get(self.name)
        if cached is None:
            cached = _INSTANCES[self.name] = self.schema()
        return cached

    def validate(self, data: object) -> dict:
        """``data`` as loaded by the schema; raises marshmallow.ValidationError."""
        return self.instance.load(data)  # type: ignore[arg-type]

    def dump(self, data: dict) -> dict:
        """The JSON form of loaded data (dates as strings, ...)."""
        return self.instance.dump(data)


_REGISTRY: dict[str, EventType] = {}
_INSTANCES: dict[str, Schema] = {}


def define(name: str, schema: type[Schema], description: str = "") -> EventType:
    """Register an event type; the name must be ``ecommunity.<service>.<noun>.<verb_past>.vN``."""
    if not re.match(TYPE_PATTERN, name):
        raise ValueError(f"event type {name!r} does not follow ecommunity.<service>.<noun>.<verb>.vN")
    existing = _REGISTRY.get(name)
    if existing is not None and existing.schema is not schema:
        raise ValueError(f"event type {name!r} is already defined with another schema")
    event_type = EventType(name, schema, description)
    _REGISTRY[name] = event_type
    return event_type


def lookup(name: str) -> EventType:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownEventType(f"unknown event type {name!r}; define it in kernel.events.catalog") from None


def all_types() -> list[EventType]:
    return sorted(_REGISTRY.values(), key=lambda e: e.name)
