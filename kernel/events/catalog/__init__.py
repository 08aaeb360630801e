"""Every event type of the platform and the marshmallow schema of its ``data``.

Producers and consumers import the same definition from here (``from kernel.events.catalog import
USER_ERASED``); an event type that is not registered cannot be emitted. Each producing service's
types live in a module of their own (``identity``, ``spaces``, ``publishing``); ``docs/events.md`` documents each.
"""

from __future__ import annotations

from kernel.events.catalog import identity, publishing, spaces
from kernel.events.catalog.identity import *  # noqa: F403
from kernel.events.catalog.publishing import *  # noqa: F403
from kernel.events.catalog.spaces import *  # noqa: F403
from kernel.events.registry import EventType, UnknownEventType, all_types, define, lookup

__all__ = [
    "EventType",
    "UnknownEventType",
    "all_types",
    "define",
    "lookup",
    *identity.__all__,
    *publishing.__all__,
    *spaces.__all__,
]
