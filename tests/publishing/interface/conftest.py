"""A real PublishingService and a real SpacesService on this run's RabbitMQ vhost and PostgreSQL
database: communities are made through spaces' RPCs, and publishing learns of them from spaces'
events (its access read model), exactly as in production.

One pair of containers serves a module's tests; tests stay independent by making their own actors
(a new uuid4 each) and communities (unique names), and by asserting only on what they made.

```python
def test_something(spaces, publishing, world, pdb):
    place = world(validation={"mode": "pre_moderation", "steps": [{"name": "check", "role": "moderator"}]})
    bob = place.join(role="moderator")          # waits until publishing knows
    item = publishing.create_content(place.owner, place.public, {"type": "news", "title": "Hi"})
    events(pdb, subject=f"content/{item['id']}")
```
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from kernel.config import Settings
from kernel.testing.containers import ContainerGroup, settings_for_tests
from kernel.testing.waiting import eventually
from services.publishing.service import PublishingService
from services.spaces.service import SpacesService
from tests.support.records import events, make_actor, query, schema_connection  # noqa: F401  (tests import them from here)

#: every review section, in the order the owner validates them before the pilot
SECTIONS = ("identity", "objectives", "topics", "rules", "access", "content", "roles", "modules")
ACCESS_TABLES = ("access_communities", "access_spaces", "access_members", "access_space_members")


@pytest.fixture(scope="module")
def stack_settings(database_url, amqp_uri) -> Settings:
    return settings_for_tests(database_url, amqp_uri, outbox_poll_seconds=0.1)


@pytest.fixture(scope="module")
def rpc(stack_settings):
    """RPC proxies of a running SpacesService and PublishingService (``rpc.spaces``, ``rpc.publishing``)."""
    group = ContainerGroup()
    group.start(SpacesService, stack_settings)
    group.start(PublishingService, stack_settings)
    try:
        with ClusterRpcProxy({"AMQP_URI": stack_settings.amqp_uri}, timeout=30) as proxy:
            yield proxy
    finally:
        group.stop_all()


@pytest.fixture(scope="module")
def spaces(rpc):
    return rpc.spaces


@pytest.fixture(scope="module")
def publishing(rpc):
    return rpc.publishing


@pytest.fixture
def pdb(database_url):
    """An autocommit connection to the publishing schema, to look at what the service stored."""
    conn = schema_connection(database_url, "publishing")
    yield conn
    conn.close()


@pytest.fixture
def sdb(database_url):
    """An autocommit connection to the spaces schema (the source of the access facts)."""
    conn = schema_connection(database_url, "spaces")
    yield conn
    conn.close()


def unique_name(prefix: str = "Community") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def access_rows(conn, community_id: str) -> dict[str, list[tuple]]:
    found = {}
    for table in ACCESS_TABLES:
        found[table] = query(conn, f"SELECT * FROM {table} WHERE community_id = %s ORDER BY 1, 2", (community_id,))
    return found


def until_known(sdb, pdb, community_id: str) -> None:
    """Wait until publishing's read model holds exactly the spaces service's access facts of the
    community (spaces' events reach publishing through RabbitMQ)."""
    eventually(
        lambda: access_rows(pdb, community_id) == access_rows(sdb, community_id),
        timeout=20,
        what=f"publishing to know community {community_id}",
    )


def bring_to(spaces, owner: dict, community: dict, state: str) -> dict:
    """Move a new (draft) community along the lifecycle to ``state`` as its owner."""
    path = {"draft": [], "pilot": ["review", "pilot"], "live": ["review", "pilot", "live"]}[state]
    for step in path:
        if step == "pilot":
            for section in SECTIONS:
                spaces.validate_section(owner, community["id"], section)
        community = spaces.transition(owner, community["id"], step)
    return community


@dataclass
class Place:
    """A live community made through the spaces service, known to publishing."""

    spaces: Any
    sdb: Any
    pdb: Any
    id: str
    owner: dict
    spaces_by_name: dict[str, str] = field(default_factory=dict)

    @property
    def public(self) -> str:
        """The id of the root ``public`` space ("Public")."""
        return self.spaces_by_name["Public"]

    @property
    def members(self) -> str:
        """The id of the root ``secured`` space members read ("Members")."""
        return self.spaces_by_name["Members"]

    def known(self) -> Place:
        until_known(self.sdb, self.pdb, self.id)
        return self

    def join(self, role: str | None = None, **fields: Any) -> dict:
        """A new member (open policy), with ``role`` if given; publishing knows them when this returns."""
        person = make_actor(**fields)
        assert self.spaces.join(person, self.id, {})["status"] == "member"
        if role is not None:
            self.spaces.set_member_role(self.owner, self.id, person["user_id"], role)
        self.known()
        return person

    def update(self, **charter: Any) -> Place:
        """Change charter keys through spaces' update_community, then wait for publishing."""
        self.spaces.update_community(self.owner, self.id, {"charter": charter})
        return self.known()

    def add_roles(self, **rows: list[str]) -> Place:
        """Add custom roles to the community's matrix (spaces' set_roles)."""
        current = self.spaces.get_roles(self.owner, self.id)
        matrix = {role["name"]: role["permissions"] for role in current["roles"]}
        self.spaces.set_roles(self.owner, self.id, {**matrix, **rows})
        return self.known()

    def modules(self, *names: str) -> Place:
        self.spaces.set_modules(self.owner, self.id, list(names))
        return self.known()


@pytest.fixture
def world(spaces, sdb, pdb):
    """``world(kind="interest", **charter)``: a new live community (an interest one: open policy, a
    public "Public" and a secured "Members" space, modules news and forum, no validation, public
    knowledge level), its charter then changed by ``charter`` (update_community), known to
    publishing."""

    def make(kind: str = "interest", modules: list[str] | None = None, **charter: Any) -> Place:
        owner = make_actor("community_creator")
        data: dict[str, Any] = {"kind": kind, "name": unique_name()}
        made = spaces.create_community(owner, data)
        made = bring_to(spaces, owner, made, "live")
        listed = spaces.list_spaces(owner, made["id"], 100, None)["items"]
        place = Place(spaces, sdb, pdb, made["id"], owner, {space["name"]: space["id"] for space in listed})
        if modules is not None:
            spaces.set_modules(owner, made["id"], modules)
        if charter:
            spaces.update_community(owner, made["id"], {"charter": charter})
        return place.known()

    return make


@pytest.fixture
def actor():
    """``actor(role="member", **fields)``: a new signed-in user each call."""
    return make_actor


def news(title: str = "Hello", **data: Any) -> dict:
    """The data of a news item."""
    return {"type": "news", "title": title, "body": data.pop("body", "Some *news*."), **data}


def published(publishing, author: dict, space_id: str, **data: Any) -> dict:
    """A news item (or ``type``) created and submitted by ``author`` in a community without validation."""
    data.setdefault("type", "news")
    data.setdefault("title", unique_name("Item"))
    data.setdefault("body", "Text.")
    item = publishing.create_content(author, space_id, data)
    item = publishing.submit_content(author, item["id"])
    assert item["state"] == "published"
    return item
