"""The access read model on real PostgreSQL: the projection of spaces' events and the decisions on it.

The events are built as the spaces service emits them (validated by the catalogue); the schema is
a fresh one with the kernel's migrations, as every service has.
"""

import uuid

import pytest

from kernel.access.readmodel import AccessReadModel, may
from kernel.auth import Actor
from kernel.db import ConnectionPool, Transaction
from kernel.events import catalog
from kernel.testing.infra import kernel_schema

MATRIX = {"manager": ["read", "post", "configure"], "member": ["read", "post", "comment"], "guest": ["read"]}


@pytest.fixture
def db(database_url):
    with kernel_schema(database_url, "access_probe") as schema:
        pool = ConnectionPool(database_url, schema, size=2)
        tx = Transaction(pool, "test")
        yield tx
        tx.rollback()
        tx.release()
        pool.close()


class Spaces:
    """Builds spaces events as the spaces service would, and applies them to a read model."""

    def __init__(self, db):
        self.model = AccessReadModel(db)
        self.revision = 0
        self.community_id = str(uuid.uuid4())

    def apply(self, event_type, revision=None, **data):
        if revision is None:
            self.revision += 1
            revision = self.revision
        data = {**data, "revision": revision}
        definition = catalog.lookup(event_type)
        self.model.project(event_type, definition.dump(definition.validate(data)))

    def community(self, state="live", matrix=MATRIX, revision=None):
        access = {"community_id": self.community_id, "state": state, "matrix": matrix}
        self.apply(
            catalog.COMMUNITY_STATE_CHANGED,
            revision,
            community_id=self.community_id,
            previous_state="draft",
            state=state,
            changed_by=str(uuid.uuid4()),
            note=None,
            access=access,
        )

    def space(self, space_id=None, parent_id=None, visibility="members", matrix=None, revision=None):
        space_id = space_id or str(uuid.uuid4())
        self.apply(
            catalog.SPACE_UPDATED,
            revision,
            space_id=space_id,
            community_id=self.community_id,
            changed=["visibility"],
            changed_by=str(uuid.uuid4()),
            access={
                "space_id": space_id,
                "community_id": self.community_id,
                "parent_id": parent_id,
                "visibility": visibility,
                "archived": False,
                "matrix": matrix,
            },
        )
        return space_id

    def join(self, user_id, role="member", revision=None):
        self.apply(
            catalog.MEMBER_JOINED, revision, community_id=self.community_id, user_id=user_id, role=role, via="open"
        )


def user():
    return Actor(user_id=str(uuid.uuid4()))


def test_the_version_moves_once_at_the_commit_of_each_change_to_the_model(database_url):
    with kernel_schema(database_url, "access_version") as schema:
        pool = ConnectionPool(database_url, schema, size=2)
        spaces = Spaces(None)

        def committed(*changes):
            """The version after a transaction applying ``changes`` (each a function of ``spaces``)."""
            tx = Transaction(pool, "test")
            try:
                spaces.model = AccessReadModel(tx)
                for change in changes:
                    change(spaces)
                if changes:
                    assert spaces.model.version() == before  # it moves at the commit, not before
                tx.commit()
                return AccessReadModel(tx).version()
            finally:
                tx.release()

        try:
            before = 0
            assert committed() == 0
            before = committed(
                lambda s: s.community(revision=5),
                lambda s: s.space(visibility="public", revision=6),
                lambda s: s.join(str(uuid.uuid4()), revision=7),
            )
            assert before == 1  # three tables changed, one move
            assert committed(lambda s: s.community(state="archived", revision=4)) == 1  # older: no change
            assert committed(lambda s: s.community(state="archived", revision=8)) == 2
        finally:
            pool.close()


def test_decisions_follow_the_projected_facts(db):
    spaces = Spaces(db)
    spaces.community()
    root = spaces.space(visibility="public")
    inner = spaces.space(parent_id=root, visibility="members")
    alice, bob = user(), user()
    spaces.join(alice.user_id)

    assert may(db, None, "read", root)
    assert not may(db, None, "read", inner)
    assert may(db, alice, "post", inner)
    assert not may(db, alice, "configure", inner)
    assert not may(db, bob, "read", inner)
    assert may(db, bob.as_dict(), "read", root)  # the RPC form of an actor works too
    assert AccessReadModel(db).readable_spaces(bob, spaces.community_id).keys() == {root}
    assert AccessReadModel(db).readable_spaces(alice, spaces.community_id).keys() == {root, inner}


def test_an_older_event_never_undoes_a_newer_one(db):
    spaces = Spaces(db)
    spaces.community(revision=5)
    space = spaces.space(visibility="public", revision=10)
    spaces.space(space_id=space, visibility="members", revision=7)  # late, older
    spaces.community(state="archived", revision=3)  # late, older
    alice = user()
    spaces.join(alice.user_id, revision=20)
    spaces.apply(catalog.MEMBER_LEFT, 15, community_id=spaces.community_id, user_id=alice.user_id)  # older

    assert may(db, None, "read", space)  # still public
    assert may(db, alice, "post", space)  # still a member, community still live


def test_ban_unban_and_leaving(db):
    spaces = Spaces(db)
    spaces.community()
    space = spaces.space(visibility="registered")
    alice = user()
    spaces.join(alice.user_id)
    assert may(db, alice, "post", space)
    spaces.apply(
        catalog.MEMBER_BANNED, community_id=spaces.community_id, user_id=alice.user_id, banned_by="x", reason="spam"
    )
    assert AccessReadModel(db).space_permissions(alice, space) is None  # registered: not for the banned
    spaces.apply(catalog.MEMBER_UNBANNED, community_id=spaces.community_id, user_id=alice.user_id, unbanned_by="x")
    assert AccessReadModel(db).space_permissions(alice, space) == {"read"}  # signed in, not a member
    assert AccessReadModel(db).member_communities(alice) == []


def test_a_space_overrides_and_archiving_makes_it_read_only(db):
    spaces = Spaces(db)
    spaces.community()
    root = spaces.space(visibility="secured", matrix={"guest": ["read", "comment"]})
    child = spaces.space(parent_id=root)
    alice, carol = user(), user()
    spaces.join(alice.user_id, role="guest")
    spaces.join(carol.user_id, role="member")
    assert AccessReadModel(db).space_permissions(alice, child) == {"read", "comment"}
    assert AccessReadModel(db).space_permissions(carol, child) is None
    spaces.apply(
        catalog.SPACE_ARCHIVED,
        space_id=root,
        community_id=spaces.community_id,
        archived_by="x",
        access=[
            {
                "space_id": root,
                "community_id": spaces.community_id,
                "parent_id": None,
                "visibility": "secured",
                "archived": True,
                "matrix": {"guest": ["read", "comment"]},
            }
        ],
    )
    assert AccessReadModel(db).space_permissions(alice, child) == {"read"}


def test_unknown_and_malformed_ids_are_simply_not_there(db):
    model = AccessReadModel(db)
    assert model.space_permissions(None, str(uuid.uuid4())) is None
    assert model.space_permissions(None, "not-a-uuid") is None
    assert model.community(user(), "../etc") is None
    assert not may(db, {"user_id": "nonsense"}, "read", str(uuid.uuid4()))


def test_a_space_whose_ancestor_is_not_known_yet_does_not_exist(db):
    spaces = Spaces(db)
    spaces.community()
    child = spaces.space(parent_id=str(uuid.uuid4()), visibility="public")
    assert AccessReadModel(db).space_permissions(None, child) is None


def test_a_space_with_its_own_members(db):
    spaces = Spaces(db)
    spaces.community()
    wp = str(uuid.uuid4())
    spaces.apply(
        catalog.SPACE_CREATED,
        space_id=wp,
        community_id=spaces.community_id,
        name="WP1",
        created_by="x",
        access={
            "space_id": wp,
            "community_id": spaces.community_id,
            "parent_id": None,
            "visibility": "members",
            "archived": False,
            "matrix": None,
            "own_members": True,
        },
    )
    task = spaces.space(parent_id=wp)
    alice, bob = user(), user()
    spaces.join(alice.user_id)
    spaces.join(bob.user_id)
    spaces.apply(
        catalog.SPACE_MEMBER_ADDED,
        space_id=wp,
        community_id=spaces.community_id,
        user_id=alice.user_id,
        role="manager",
        previous_role=None,
        changed_by="x",
    )
    model = AccessReadModel(db)
    assert may(db, alice, "configure", task)  # her role in WP1 (and below) is manager
    assert model.space_permissions(bob, wp) is None  # not on WP1's list
    assert model.readable_spaces(alice, spaces.community_id).keys() == {wp, task}
    assert model.readable_spaces(bob, spaces.community_id) == {}
    spaces.apply(
        catalog.SPACE_MEMBER_REMOVED,
        space_id=wp,
        community_id=spaces.community_id,
        user_id=alice.user_id,
        removed_by="x",
    )
    assert model.space_permissions(alice, wp) is None


def test_community_settings_and_space_modules_follow_the_events(db):
    spaces = Spaces(db)
    spaces.community()
    model = AccessReadModel(db)
    assert model.community_settings(spaces.community_id)["default_knowledge_level"] == "public"  # the defaults
    settings = {
        "languages": ["fr"],
        "modules": ["news", "forum"],
        "content_types": ["news", "topic"],
        "validation": {"mode": "pre_moderation", "steps": [{"name": "review", "role": "moderator"}]},
        "default_knowledge_level": "extended",
        "organizations": [str(uuid.uuid4())],
    }
    spaces.apply(
        catalog.COMMUNITY_UPDATED,
        community_id=spaces.community_id,
        changed=["charter.validation"],
        changed_by="x",
        access={"community_id": spaces.community_id, "state": "live", "matrix": MATRIX, "settings": settings},
    )
    assert model.community_settings(spaces.community_id) == settings
    inheriting = spaces.space()
    assert model.space_modules(inheriting) == ["news", "forum"]
    own = str(uuid.uuid4())
    spaces.apply(
        catalog.MODULE_DISABLED,
        community_id=spaces.community_id,
        space_id=own,
        module="forum",
        changed_by="x",
        community_access=None,
        space_access={
            "space_id": own,
            "community_id": spaces.community_id,
            "parent_id": None,
            "visibility": "members",
            "archived": False,
            "matrix": None,
            "modules": ["news"],
        },
    )
    assert model.space_modules(own) == ["news"]
    assert model.space_modules(str(uuid.uuid4())) is None
    assert model.community_settings("nope") is None
