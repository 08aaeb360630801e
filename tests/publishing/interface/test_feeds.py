"""Feeds and the moderation queue through a real PublishingService: newest first by keyset pages
(ties on published_at broken by id), only published items the caller reads, a member's feed across
their communities, anonymous readers of public spaces, refused cursors and unknown places."""

from __future__ import annotations

import uuid

import pytest

from kernel import errors
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
