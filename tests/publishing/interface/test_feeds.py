"""Feeds and the moderation queue through a real PublishingService: newest first by keyset pages
(ties on published_at broken by id), only published items the caller reads, a member's feed across
their communities, anonymous readers of public spaces, refused cursors and unknown places."""

from __future__ import annotations

import uuid

import pytest

from kernel import errors
from kernel.auth import Actor
from kernel.db import ConnectionPool, Transaction
from services.publishing.storage import ContentStorage
from services.publishing.visibility import Visibility
from tests.publishing.interface.conftest import make_actor, news, published

PRE_MODERATION = {"mode": "pre_moderation", "steps": [{"name": "moderation", "role": "moderator"}]}


def all_pages(fetch, limit: int) -> list[list[str]]:
    """Every page's ids, following ``next``."""
    pages, after = [], None
    while True:
        page = fetch(limit, after)
        pages.append([item["id"] for item in page["items"]])
        after = page["next"]
        if after is None:
            return pages


def test_a_space_feed_pages_newest_first(publishing, world):
    place = world()
    made = [published(publishing, place.owner, place.public)["id"] for _ in range(5)]
    pages = all_pages(lambda limit, after: publishing.space_feed(None, place.public, limit, after), 2)
    assert pages == [made[4:2:-1], made[2:0:-1], made[:1]]
    first = publishing.space_feed(None, place.public, 2, None)
    assert set(first["next"]) == {"published_at", "id"}
    item = first["items"][0]
    assert not {"body", "body_html", "history"} & set(item)  # a card: the whole item is get_content's
    assert (item["excerpt"], item["truncated"]) == ("Text.", False)


def test_a_feed_shows_the_beginning_of_a_long_body(publishing, world):
    place = world()
    body = "word " * 100
    made = published(publishing, place.owner, place.public, body=body)
    item = publishing.space_feed(None, place.public, 1, None)["items"][0]
    assert item["id"] == made["id"]
    assert (item["excerpt"], item["truncated"]) == (body[:280], True)


def test_items_published_at_the_same_instant_are_paged_by_id(publishing, world, pdb):
    place = world()
    made = [published(publishing, place.owner, place.public)["id"] for _ in range(4)]
    with pdb.cursor() as cur:
        cur.execute("UPDATE contents SET published_at = '2030-01-01T00:00:00Z' WHERE id = ANY(%s::uuid[])", (made,))
    pages = all_pages(lambda limit, after: publishing.space_feed(place.owner, place.public, limit, after), 3)
    assert [i for page in pages for i in page] == sorted(made, reverse=True)
    assert len(pages) == 2


def test_feeds_show_published_items_only(publishing, world):
    place = world()
    member = place.join()
    shown = published(publishing, place.owner, place.public)
    draft = publishing.create_content(member, place.public, news())
    archived = published(publishing, place.owner, place.public)
    publishing.archive_content(place.owner, archived["id"])
    scheduled = publishing.create_content(place.owner, place.public, news(publish_at="2999-01-01T00:00:00+00:00"))
    publishing.submit_content(place.owner, scheduled["id"])
    for who in (member, place.owner, None):
        assert [i["id"] for i in publishing.space_feed(who, place.public, 50, None)["items"]] == [shown["id"]]
        assert [i["id"] for i in publishing.community_feed(who, place.id, 50, None)["items"]] == [shown["id"]]
    assert draft["id"] not in {i["id"] for i in publishing.my_feed(member, 50, None)["items"]}


def test_a_community_feed_spans_the_spaces_one_reads(publishing, world):
    place = world()
    member = place.join()
    outside = published(publishing, place.owner, place.public)
    inside = published(publishing, place.owner, place.members)
    feed = [i["id"] for i in publishing.community_feed(member, place.id, 10, None)["items"]]
    assert feed == [inside["id"], outside["id"]]
    assert [i["id"] for i in publishing.community_feed(None, place.id, 10, None)["items"]] == [outside["id"]]
    assert [i["id"] for i in publishing.community_feed(make_actor(), place.id, 10, None)["items"]] == [outside["id"]]


def test_my_feed_spans_my_communities(publishing, world):
    first, second, third = world(), world(), world()
    person = make_actor()
    for place in (first, second):
        assert place.spaces.join(person, place.id, {})["status"] == "member"
        place.known()
    a = published(publishing, first.owner, first.public)
    b = published(publishing, second.owner, second.members)
    published(publishing, third.owner, third.public)
    c = published(publishing, first.owner, first.members)
    pages = all_pages(lambda limit, after: publishing.my_feed(person, limit, after), 2)
    assert pages == [[c["id"], b["id"]], [a["id"]]]


def test_the_moderation_queue_is_oldest_first_and_paged(publishing, world):
    place = world(validation=PRE_MODERATION)
    moderator = place.join(role="moderator")
    author = place.join()
    made = []
    for _ in range(3):
        item = publishing.create_content(author, place.public, news())
        made.append(publishing.submit_content(author, item["id"])["id"])
    pages = all_pages(lambda limit, after: publishing.moderation_queue(moderator, place.id, limit, after), 2)
    assert pages == [made[:2], made[2:]]
    page = publishing.moderation_queue(moderator, place.id, 1, None)
    assert page["items"][0]["my_actions"] == ["approve", "reject"]
    assert [t["to_state"] for t in page["items"][0]["history"]] == ["draft", "submitted"]


def test_feeds_refuse_bad_cursors_and_limits_and_unknown_places(publishing, world):
    place = world()
    for after in ({"id": str(uuid.uuid4())}, {"published_at": "yesterday", "id": str(uuid.uuid4())}, "x", 3):
        with pytest.raises(errors.InvalidInput):
            publishing.space_feed(None, place.public, 10, after)
    for limit in (0, 101, "10", None, True):
        with pytest.raises(errors.InvalidInput):
            publishing.community_feed(None, place.id, limit, None)
    for unknown in (str(uuid.uuid4()), "not-a-uuid", None):
        with pytest.raises(errors.NotFound):
            publishing.space_feed(None, unknown, 10, None)
        with pytest.raises(errors.NotFound):
            publishing.community_feed(None, unknown, 10, None)


def test_anonymous_visitors_do_not_find_a_community_without_a_public_space(publishing, world):
    place = world(kind="practice")  # authorized access: one "Members" space, no public one
    with pytest.raises(errors.NotFound):
        publishing.community_feed(None, place.id, 10, None)
    assert publishing.community_feed(make_actor(), place.id, 10, None) == {"items": [], "next": None}


def test_feeds_read_each_place_down_its_own_index_whatever_its_size(publishing, world, pdb, database_url):
    """A feed reads a space or community down an index in its order: a small community beside a big
    one is not found by walking every published item, nor a big one by sorting all of its items."""
    big, small = world(), world()
    member = big.join()
    assert small.spaces.join(member, small.id, {})["status"] == "member"
    small.known()
    newest = {place.id: published(publishing, place.owner, place.public)["id"] for place in (big, small)}
    with pdb.cursor() as cur:  # 3,000 older items in the big community, as the service would have left them
        cur.execute(
            "INSERT INTO contents SELECT (jsonb_populate_record(c, jsonb_build_object('id', gen_random_uuid(),"
            " 'published_at', c.published_at - n * interval '1 second'))).*"
            " FROM contents c, generate_series(1, 3000) AS n WHERE c.id = %s",
            (newest[big.id],),
        )
        cur.execute("ANALYZE contents")
    assert publishing.my_feed(member, 2, None)["items"][1]["community_id"] == big.id
    assert [i["id"] for i in publishing.community_feed(member, small.id, 5, None)["items"]] == [newest[small.id]]
    assert len(publishing.community_feed(member, big.id, 50, None)["items"]) == 50

    pool = ConnectionPool(database_url, "publishing", size=1)
    tx = Transaction(pool, "test")
    sent: list[tuple] = []
    real = tx.fetchall_alone

    def recorded(sql, params):
        sent.append((sql, params))
        return real(sql, params)

    tx.fetchall_alone = recorded  # type: ignore[method-assign]
    try:
        reader = Visibility(tx).reader(Actor(**member), None)
        contents = ContentStorage(tx)
        # the small place: down its own index; the big one, alone or with others, may also be walked
        # down the newest items of all (the planner knows it holds most of them)
        shapes = [
            ("community", [small.id], {"contents_community_feed"}),
            ("space", [small.public], {"contents_space_feed"}),
            ("community", [big.id, small.id], {"contents_community_feed", "contents_published"}),
            ("community", [big.id], {"contents_community_feed", "contents_published"}),
            ("space", [big.public], {"contents_space_feed", "contents_published"}),
        ]
        for scope, ids, indexes in shapes:
            for after in (None, ("2999-01-01T00:00:00+00:00", str(uuid.uuid4()))):
                assert contents.feed(scope, ids, reader.published(), 21, after)
                plan = tx.fetchone("EXPLAIN (FORMAT JSON) " + sent[-1][0], sent[-1][1])
                nodes = [(node["Node Type"], node.get("Index Name"), node["Plan Rows"]) for node in _nodes(plan)]
                scans = {name for kind, name, _ in nodes if kind == "Index Scan"}
                assert scans, nodes
                assert scans <= indexes, (scope, len(ids), after, nodes)
                assert not [rows for kind, _, rows in nodes if kind == "Sort" and rows > 21 * len(ids)], nodes
    finally:
        tx.rollback()
        tx.release()
        pool.close()


def _nodes(tree):
    if isinstance(tree, dict):
        if "Node Type" in tree:
            yield tree
        for value in tree.values():
            yield from _nodes(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _nodes(value)
