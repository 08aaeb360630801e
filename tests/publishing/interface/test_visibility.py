"""Knowledge levels through a real PublishingService fed by real spaces events: who reads a
confidential, an extended and a public item — members, signed-in strangers, employees and partners
of the community's organization (charter.organizations), of another one, anonymous visitors — by
get_content, by every feed and by the moderation queue; and what events say of confidential items."""

from __future__ import annotations

import uuid

import pytest

from kernel import errors
from tests.publishing.interface.conftest import events, make_actor, published, query

LEVELS = ("public", "extended", "confidential")
PRE_MODERATION = {"mode": "pre_moderation", "steps": [{"name": "moderation", "role": "moderator"}]}


def reads(publishing, who, content_id: str) -> bool:
    try:
        publishing.get_content(who, content_id)
    except errors.NotFound:
        return False
    return True


def feed_ids(page: dict) -> set[str]:
    return {item["id"] for item in page["items"]}


@pytest.fixture
def organization() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def levels(publishing, world, organization):
    """A community of ``organization`` with one published item per knowledge level in its public
    space and one in its secured space; returns the place, the items by level and the secured one."""
    place = world(organizations=[organization])
    items = {level: published(publishing, place.owner, place.public, knowledge_level=level) for level in LEVELS}
    inner = published(publishing, place.owner, place.members, knowledge_level="public")
    return place, items, inner


def test_who_reads_each_level_by_get_content_and_feeds(publishing, levels, organization):
    place, items, inner = levels
    member = place.join()
    people = {
        "member": (member, {"public", "extended", "confidential"}),
        "stranger": (make_actor(), {"public"}),
        "employee": (make_actor(affiliation="employee", organization_id=organization), {"public", "extended"}),
        "partner": (make_actor(affiliation="partner", organization_id=organization), {"public", "extended"}),
        "customer": (make_actor(affiliation="customer", organization_id=organization), {"public"}),
        "other employee": (make_actor(affiliation="employee", organization_id=str(uuid.uuid4())), {"public"}),
        "anonymous": (None, {"public"}),
    }
    for name, (who, expected) in people.items():
        readable = {level for level, item in items.items() if reads(publishing, who, item["id"])}
        assert readable == expected, name
        wanted = {items[level]["id"] for level in expected}
        assert feed_ids(publishing.space_feed(who, place.public, 100, None)) == wanted, name
        in_community = feed_ids(publishing.community_feed(who, place.id, 100, None))
        assert in_community == wanted | ({inner["id"]} if name == "member" else set()), name
        assert reads(publishing, who, inner["id"]) is (name == "member"), name
    assert feed_ids(publishing.my_feed(member, 100, None)) == {item["id"] for item in items.values()} | {inner["id"]}
    employee = people["employee"][0]
    assert publishing.my_feed(employee, 100, None) == {"items": [], "next": None}  # a member of nothing
    with pytest.raises(errors.NotFound):  # the secured space does not exist for a stranger
        publishing.space_feed(people["stranger"][0], place.members, 10, None)
    with pytest.raises(errors.Unauthenticated):
        publishing.my_feed(None, 10, None)


def test_a_banned_member_reads_no_more_than_a_visitor(publishing, spaces, levels):
    place, items, _ = levels
    member = place.join()
    assert reads(publishing, member, items["confidential"]["id"])
    spaces.ban(place.owner, place.id, member["user_id"], "spam")
    place.known()
    assert not reads(publishing, member, items["confidential"]["id"])
    assert not reads(publishing, member, items["extended"]["id"])
    assert reads(publishing, member, items["public"]["id"])


def test_feeds_follow_a_change_of_standing_at_once(publishing, spaces, levels):
    """Feeds reuse the reader they built for a caller while the access read model has not moved; the
    first read after it moved (here: a ban) is decided on the new facts."""
    place, items, inner = levels
    member = place.join()
    everything = {item["id"] for item in items.values()} | {inner["id"]}
    for _ in range(2):  # the second time with the kept reader
        assert feed_ids(publishing.my_feed(member, 100, None)) == everything
        assert feed_ids(publishing.community_feed(member, place.id, 100, None)) == everything
    spaces.ban(place.owner, place.id, member["user_id"], "spam")
    place.known()
    assert publishing.my_feed(member, 100, None) == {"items": [], "next": None}
    assert feed_ids(publishing.community_feed(member, place.id, 100, None)) == {items["public"]["id"]}
    assert not reads(publishing, member, items["confidential"]["id"])


def test_confidential_follows_the_role_in_a_space_with_its_own_members(publishing, spaces, world):
    place = world()
    member = place.join()
    room = spaces.create_space(
        place.owner, place.id, {"name": "Room", "visibility": "public", "parent_id": place.public}
    )
    spaces.update_space(place.owner, room["id"], {"own_members": True})
    place.known()
    secret = published(publishing, place.owner, room["id"], knowledge_level="confidential")
    open_item = published(publishing, place.owner, room["id"], knowledge_level="public")
    assert feed_ids(publishing.space_feed(member, room["id"], 10, None)) == {open_item["id"]}
    assert not reads(publishing, member, secret["id"])
    spaces.set_space_member(place.owner, room["id"], member["user_id"], "member")
    place.known()
    assert reads(publishing, member, secret["id"])
    assert feed_ids(publishing.space_feed(member, room["id"], 10, None)) == {open_item["id"], secret["id"]}


def test_the_moderation_queue_applies_knowledge_levels(publishing, world, organization):
    place = world(organizations=[organization], validation=PRE_MODERATION)
    place.add_roles(checker=["moderate"])  # moderates without read: sees only what anyone reads
    moderator = place.join(role="moderator")
    checker = place.join(role="checker")
    employed_checker = place.join(role="checker", affiliation="employee", organization_id=organization)
    author = place.join()
    waiting = {}
    for level in LEVELS:
        item = publishing.create_content(
            author, place.public, {"type": "news", "title": level, "knowledge_level": level}
        )
        waiting[level] = publishing.submit_content(author, item["id"])["id"]

    def queue(who):
        return {item["id"] for item in publishing.moderation_queue(who, place.id, 100, None)["items"]}

    assert queue(moderator) == set(waiting.values())
    assert queue(checker) == {waiting["public"]}
    assert queue(employed_checker) == {waiting["public"], waiting["extended"]}
    assert queue(author) == set()
    assert not reads(publishing, checker, waiting["confidential"])
    assert reads(publishing, checker, waiting["public"])
    with pytest.raises(errors.NotFound):
        publishing.approve_content(checker, waiting["confidential"])
    with pytest.raises(errors.NotFound):  # no such community
        publishing.moderation_queue(make_actor(), str(uuid.uuid4()), 10, None)
    with pytest.raises(errors.Unauthenticated):
        publishing.moderation_queue(None, place.id, 10, None)


def test_events_of_confidential_items_carry_no_title_and_no_event_a_body(publishing, world, pdb):
    place = world()
    secret = published(publishing, place.owner, place.public, title="Merger plans", knowledge_level="confidential")
    publishing.update_content(place.owner, secret["id"], {"body": "More."}, None)
    open_item = published(publishing, place.owner, place.public, title="Open day", knowledge_level="public")
    secret_events = events(pdb, subject=f"content/{secret['id']}")
    assert len(secret_events) == 4  # created, submitted, published, updated
    assert all(event["title"] is None for event in secret_events)
    assert all(event["knowledge_level"] == "confidential" for event in secret_events)
    assert {event["title"] for event in events(pdb, subject=f"content/{open_item['id']}")} == {"Open day"}
    bodies = query(
        pdb,
        "SELECT count(*) FROM outbox WHERE subject IN (%s, %s) AND (envelope::jsonb -> 'data') ? 'body'",
        (f"content/{secret['id']}", f"content/{open_item['id']}"),
    )
    assert bodies == [(0,)]
    texts = query(pdb, "SELECT envelope::text FROM outbox WHERE subject = %s", (f"content/{secret['id']}",))
    assert not any("Merger plans" in text for (text,) in texts)


def test_an_extended_item_read_again_when_the_organization_joins_the_charter(publishing, levels, organization):
    place, items, _ = levels
    newcomer = str(uuid.uuid4())
    employee = make_actor(affiliation="employee", organization_id=newcomer)
    assert not reads(publishing, employee, items["extended"]["id"])
    place.update(organizations=[organization, newcomer])
    assert reads(publishing, employee, items["extended"]["id"])
