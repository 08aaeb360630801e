"""Another service's copy of who may do what: the publishing service keeps its read model from the
spaces service's events (``kernel.access.readmodel.AccessProjection``) and decides locally, with no
RPC — and reaches exactly the spaces service's own rows and answers. Real RabbitMQ and PostgreSQL."""

import psycopg2
import pytest

from kernel import errors
from kernel.access.readmodel import may
from kernel.db import ConnectionPool, Transaction
from kernel.testing.containers import ContainerGroup
from kernel.testing.waiting import eventually
from services.publishing.service import PublishingService
from tests.spaces.interface.conftest import make_actor

TABLES = {
    "access_communities": "community_id = %(c)s",
    "access_spaces": "community_id = %(c)s",
    "access_members": "community_id = %(c)s",
    "access_space_members": "community_id = %(c)s",
}


@pytest.fixture(scope="module")
def publishing(spaces_settings):
    group = ContainerGroup()
    group.start(PublishingService, spaces_settings)
    yield
    group.stop_all()


def rows(database_url, schema, community_id):
    conn = psycopg2.connect(database_url, options=f"-c search_path={schema}")
    try:
        found = {}
        with conn.cursor() as cur:
            for table, where in TABLES.items():
                cur.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY 1, 2", {"c": community_id})
                found[table] = cur.fetchall()
        return found
    finally:
        conn.close()


def test_publishing_reaches_the_same_facts_and_the_same_decisions(spaces, publishing, community, database_url):
    owner = make_actor("community_creator")
    made = community(kind="interest", owner=owner, state="live")
    cid = made["id"]
    secured = spaces.create_space(
        owner, cid, {"name": "Inner circle", "visibility": "secured", "matrix": {"moderator": ["read", "moderate"]}}
    )
    child = spaces.create_space(owner, cid, {"name": "Drafts", "visibility": "members", "parent_id": secured["id"]})
    alice, bob, carol = make_actor(), make_actor(), make_actor()
    for person in (alice, bob, carol):
        assert spaces.join(person, cid, {})["status"] == "member"
    spaces.set_member_role(owner, cid, alice["user_id"], "moderator")
    spaces.ban(owner, cid, carol["user_id"], "spam")
    spaces.move_space(owner, child["id"], None)  # the child becomes a root: members may see it now
    spaces.update_space(owner, child["id"], {"own_members": True})  # ... those on its own list
    spaces.set_space_member(owner, child["id"], bob["user_id"], "moderator")
    spaces.update_community(owner, cid, {"charter": {"default_knowledge_level": "extended"}})
    spaces.set_modules(owner, cid, ["news"], child["id"])

    expected = rows(database_url, "spaces", cid)
    assert len(expected["access_members"]) == 4  # owner, alice, bob, carol (banned)
    assert len(expected["access_space_members"]) == 1
    settings = expected["access_communities"][0][-1]  # the last column: the charter's settings
    assert settings["default_knowledge_level"] == "extended"
    eventually(lambda: rows(database_url, "publishing", cid) == expected, timeout=20)

    pool = ConnectionPool(database_url, "publishing", size=1)
    tx = Transaction(pool, "test")
    try:
        for person in (owner, alice, bob, carol, None):
            for space in (secured, child):
                for action in ("read", "post", "moderate", "configure"):
                    theirs = _permissions(spaces, person, space)
                    ours = may(tx, person, action, space["id"])
                    assert ours == (theirs is not None and action in theirs["permissions"]), (person, action)
    finally:
        tx.rollback()
        tx.release()
        pool.close()


def _permissions(spaces, person, space):
    """The spaces service's answer, or None when the space does not exist for ``person``."""
    try:
        return spaces.my_permissions(person, space["id"])
    except errors.NotFound:
        return None
