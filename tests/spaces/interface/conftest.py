"""A real SpacesService container on this run's RabbitMQ vhost and PostgreSQL database.

One container serves a module's tests (starting and stopping one costs seconds); tests stay
independent by making their own actors (a new uuid4 each) and communities (unique names), and by
asserting only on what they created.

```python
def test_something(spaces, actor, community, db):
    owner = actor("community_creator")
    made = community(kind="practice", owner=owner, state="live")
    spaces.get_community(actor(), made["id"])
    rows = query(db, "SELECT type FROM outbox WHERE subject = %s", (f"community/{made['id']}",))
```
"""

from __future__ import annotations

import uuid
from contextlib import closing
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from kernel.config import Settings
from kernel.testing.containers import ContainerGroup, settings_for_tests
from services.spaces.service import SpacesService
from tests.support.records import events, make_actor, query, schema_connection  # noqa: F401  (tests import them from here)

#: every review section, in the order the owner validates them before the pilot
SECTIONS = ("identity", "objectives", "topics", "rules", "access", "content", "roles", "modules")


@pytest.fixture(scope="module")
def spaces_settings(database_url, amqp_uri) -> Settings:
    return settings_for_tests(database_url, amqp_uri, outbox_poll_seconds=0.2)


@pytest.fixture(scope="module")
def spaces(spaces_settings):
    """The ``spaces`` RPC proxy of a running SpacesService."""
    group = ContainerGroup()
    group.start(SpacesService, spaces_settings)
    try:
        with ClusterRpcProxy({"AMQP_URI": spaces_settings.amqp_uri}, timeout=30) as rpc:
            yield rpc.spaces
    finally:
        group.stop_all()


@pytest.fixture
def db(database_url):
    """An autocommit connection to the spaces schema, to look at what the service stored."""
    with closing(schema_connection(database_url, "spaces")) as conn:
        yield conn


@pytest.fixture
def actor():
    """``actor(role="member")``: a new signed-in user each call (``Actor.as_dict()``)."""
    return make_actor


def unique_name(prefix: str = "Community") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def bring_to(spaces, owner: dict, community: dict, state: str) -> dict:
    """Move a new (draft) community along the lifecycle to ``state`` as its owner."""
    path = {
        "draft": [],
        "review": ["review"],
        "pilot": ["review", "pilot"],
        "live": ["review", "pilot", "live"],
        "archived": ["review", "pilot", "live", "archived"],
    }[state]
    for step in path:
        if step == "pilot":
            for section in SECTIONS:
                spaces.validate_section(owner, community["id"], section)
        community = spaces.transition(owner, community["id"], step)
    return community


@pytest.fixture
def community(spaces):
    """``community(kind="interest", owner=None, state="draft", **data)``: a new community made with
    ``create_community`` by ``owner`` (a new community_creator if none), then moved to ``state``
    by its owner. ``data`` goes into create_community (name defaults to a unique one). Returns the
    Community as the owner sees it."""

    def make(kind: str = "interest", owner: dict | None = None, state: str = "draft", **data: Any) -> dict:
        owner = owner or make_actor("community_creator")
        data.setdefault("name", unique_name())
        made = spaces.create_community(owner, {"kind": kind, **data})
        return bring_to(spaces, owner, made, state)

    return make
