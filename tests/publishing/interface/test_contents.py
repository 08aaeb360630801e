"""Content items through a real PublishingService fed by a real SpacesService (RabbitMQ +
PostgreSQL): the content types, creating items with every check (types, modules, permissions,
titles, bodies, fields, children, read-only places), reading them, archiving them — with what is
stored (revisions, transitions) and the events in publishing's outbox."""

from __future__ import annotations

import uuid

import pytest

from kernel import errors
from kernel.events import catalog
from tests.publishing.interface.conftest import events, make_actor, news, published, query

# -- the content types -------------------------------------------------------------------------------


def test_the_nine_content_types_are_listed_with_their_fields(publishing):
    listed = {kind["name"]: kind for kind in publishing.list_content_types()}
    assert sorted(listed) == sorted(
        ["news", "topic", "reply", "document", "question", "answer", "press_review", "course", "meeting"]
    )
    assert listed["document"]["co_edited"] is True
    assert listed["news"]["co_edited"] is False
    assert (listed["reply"]["parent"], listed["reply"]["titled"], listed["reply"]["module"]) == (
        "topic",
        False,
        "forum",
    )
    issue = next(f for f in listed["press_review"]["fields"] if f["name"] == "issue")
    assert issue == {"name": "issue", "type": "string", "required": True}


# -- creating ----------------------------------------------------------------------------------------


def test_a_draft_is_created_rendered_and_recorded(publishing, world, pdb):
    place = world()
    body = "Hello **world** <script>alert(1)</script> [x](javascript:alert(1))"
    item = publishing.create_content(place.owner, place.public, news("First news", body=body, fields={"summary": "S"}))
    assert item["state"] == "draft"
    assert item["revision"] == 1
    assert item["community_id"] == place.id
    assert item["space_id"] == place.public
    assert item["author_id"] == place.owner["user_id"]
    assert item["knowledge_level"] == "public"  # the interest preset's default
    assert item["fields"] == {"summary": "S"}
    assert "<strong>world</strong>" in item["body_html"]
    assert "<script" not in item["body_html"]
    assert 'href="javascript' not in item["body_html"]
    assert "&lt;script&gt;" in item["body_html"]  # typed HTML is shown as text
    assert item["my_actions"] == ["edit", "submit", "archive", "restore"]
    assert query(pdb, "SELECT number, title, body FROM content_revisions WHERE content_id = %s", (item["id"],)) == [
        (1, "First news", body)
    ]
    assert query(
        pdb, "SELECT from_state, to_state, actor_id::text FROM content_transitions WHERE content_id = %s", (item["id"],)
    ) == [(None, "draft", place.owner["user_id"])]
    [created] = events(pdb, catalog.CONTENT_CREATED, f"content/{item['id']}")
    assert created["title"] == "First news"
    assert created["state"] == "draft"
    assert "body" not in created


def test_the_default_knowledge_level_is_the_communitys(publishing, world):
    place = world(default_knowledge_level="confidential")
    assert publishing.create_content(place.owner, place.public, news())["knowledge_level"] == "confidential"
    chosen = publishing.create_content(place.owner, place.public, news(knowledge_level="extended"))
    assert chosen["knowledge_level"] == "extended"


def test_creation_refuses_what_breaks_a_rule(publishing, world):
    place = world()
    owner = place.owner
    with pytest.raises(errors.Unprocessable) as unknown:
        publishing.create_content(owner, place.public, {"type": "poem", "title": "T"})
    assert unknown.value.code == "unknown-type"
    with pytest.raises(errors.Conflict) as disabled:  # interest communities enable news and forum only
        publishing.create_content(owner, place.public, {"type": "document", "title": "Spec"})
    assert disabled.value.code == "module-disabled"
    with pytest.raises(errors.InvalidInput) as untitled:
        publishing.create_content(owner, place.public, {"type": "news", "body": "x"})
    assert "title" in untitled.value.extra["errors"]
    with pytest.raises(errors.InvalidInput):
        publishing.create_content(owner, place.public, news("x" * 301))
    with pytest.raises(errors.TooLarge) as large:
        publishing.create_content(owner, place.public, news(body="x" * 100_001))
    assert large.value.code == "too-large"
    with pytest.raises(errors.InvalidInput) as fields:
        publishing.create_content(owner, place.public, news(fields={"summary": "s", "colour": "red"}))
    assert "colour" in fields.value.extra["errors"]["fields"]
    with pytest.raises(errors.InvalidInput):
        publishing.create_content(owner, place.public, {**news(), "weight": 3})
    with pytest.raises(errors.Unauthenticated):
        publishing.create_content(None, place.public, news())


def test_creation_needs_post_in_a_space_one_sees(publishing, world, actor):
    place = world()
    stranger = actor()
    with pytest.raises(errors.PermissionDenied) as denied:  # a public space: seen, but no post
        publishing.create_content(stranger, place.public, news())
    assert denied.value.code == "missing-permission"
    with pytest.raises(errors.NotFound):  # the secured space does not exist for a stranger
        publishing.create_content(stranger, place.members, news())
    member = place.join()
    assert publishing.create_content(member, place.members, news())["space_id"] == place.members
    for space_id in ("not-a-uuid", str(uuid.uuid4()), None, 42):
        with pytest.raises(errors.NotFound):
            publishing.create_content(member, space_id, news())


def test_a_reply_lives_under_a_published_topic_it_can_read(publishing, world):
    place = world()
    member = place.join()
    topic = publishing.create_content(place.owner, place.public, {"type": "topic", "title": "Ideas?"})
    reply = {"type": "reply", "body": "Mine.", "parent_id": topic["id"]}
    with pytest.raises(errors.NotFound):  # a draft is its author's: it does not exist for others
        publishing.create_content(member, place.public, reply)
    with pytest.raises(errors.Conflict) as unpublished:  # ... and its author cannot answer it yet
        publishing.create_content(place.owner, place.public, reply)
    assert unpublished.value.code == "parent-not-published"
    publishing.submit_content(place.owner, topic["id"])
    made = publishing.create_content(member, place.public, reply)
    assert (made["parent_id"], made["space_id"], made["title"]) == (topic["id"], place.public, None)
    with pytest.raises(errors.InvalidInput):  # untitled types take no title
        publishing.create_content(member, place.public, {**reply, "title": "Re: ideas"})
    with pytest.raises(errors.InvalidInput):  # ... and are their body
        publishing.create_content(member, place.public, {**reply, "body": "  "})
    with pytest.raises(errors.Unprocessable) as orphan:
        publishing.create_content(member, place.public, {"type": "reply", "body": "Lost."})
    assert orphan.value.code == "parent-required"
    a_news = published(publishing, place.owner, place.public)
    with pytest.raises(errors.Unprocessable) as wrong:
        publishing.create_content(member, place.public, {**reply, "parent_id": a_news["id"]})
    assert wrong.value.code == "wrong-parent-type"
    with pytest.raises(errors.Unprocessable) as elsewhere:
        publishing.create_content(member, place.members, reply)
    assert elsewhere.value.code == "parent-in-another-space"
    with pytest.raises(errors.Unprocessable):  # a root type has no parent
        publishing.create_content(member, place.public, {**news(), "parent_id": topic["id"]})
    for parent_id in (str(uuid.uuid4()), "nope"):
        with pytest.raises(errors.NotFound):
            publishing.create_content(member, place.public, {**reply, "parent_id": parent_id})


def test_a_child_is_never_more_widely_readable_than_its_parent(publishing, world):
    place = world()
    topic = published(publishing, place.owner, place.public, type="topic", knowledge_level="confidential")
    reply = publishing.create_content(
        place.owner, place.public, {"type": "reply", "body": "b", "parent_id": topic["id"]}
    )
    assert reply["knowledge_level"] == "confidential"  # the community's default (public) is below the parent's
    with pytest.raises(errors.Unprocessable):
        publishing.create_content(
            place.owner,
            place.public,
            {"type": "reply", "body": "b", "parent_id": topic["id"], "knowledge_level": "public"},
        )


# -- reading -----------------------------------------------------------------------------------------


def test_ids_that_are_not_items_are_not_found(publishing, world):
    place = world()
    for content_id in ("x", str(uuid.uuid4()), None, 7, {"id": 1}):
        with pytest.raises(errors.NotFound):
            publishing.get_content(place.owner, content_id)
    with pytest.raises(errors.NotFound):
        publishing.get_content({**make_actor(), "user_id": "not-a-uuid"}, str(uuid.uuid4()))


def test_a_draft_is_read_by_its_author_only(publishing, world, actor):
    place = world()
    member = place.join()
    draft = publishing.create_content(member, place.public, news())
    assert publishing.get_content(member, draft["id"])["id"] == draft["id"]
    for other in (place.owner, place.join(), actor(), None):  # not even the owner reads another's draft
        with pytest.raises(errors.NotFound):
            publishing.get_content(other, draft["id"])


def test_an_author_who_left_no_longer_reads_their_drafts_in_members_spaces(publishing, spaces, world):
    place = world()
    member = place.join()
    inside = publishing.create_content(member, place.members, news())
    outside = publishing.create_content(member, place.public, news())
    spaces.remove_member(place.owner, place.id, member["user_id"])
    place.known()
    with pytest.raises(errors.NotFound):  # the secured space does not exist for them any more
        publishing.get_content(member, inside["id"])
    assert publishing.get_content(member, outside["id"])["my_actions"] == ["archive"]  # no post: no edit


# -- archiving ---------------------------------------------------------------------------------------


def test_the_author_or_a_moderator_archives(publishing, world, pdb):
    place = world()
    author, moderator, other = place.join(), place.join(role="moderator"), place.join()
    mine = published(publishing, author, place.public)
    theirs = published(publishing, author, place.public)
    with pytest.raises(errors.PermissionDenied):
        publishing.archive_content(other, mine["id"])
    archived = publishing.archive_content(author, mine["id"])
    assert archived["state"] == "archived"
    assert archived["my_actions"] == []
    assert publishing.archive_content(moderator, theirs["id"])["state"] == "archived"
    with pytest.raises(errors.NotFound):  # archived: out of its readers' sight
        publishing.get_content(other, mine["id"])
    assert publishing.get_content(author, mine["id"])["state"] == "archived"
    with pytest.raises(errors.Conflict) as again:
        publishing.archive_content(author, mine["id"])
    assert again.value.code == "transition-not-allowed"
    [event] = events(pdb, catalog.CONTENT_ARCHIVED, f"content/{theirs['id']}")
    assert (event["archived_by"], event["state"]) == (moderator["user_id"], "archived")


def test_nothing_changes_in_an_archived_space_or_community(publishing, spaces, world):
    place = world()
    draft = publishing.create_content(place.owner, place.members, news())
    item = published(publishing, place.owner, place.public)
    spaces.archive_space(place.owner, place.members)
    place.known()
    with pytest.raises(errors.Conflict) as space_archived:
        publishing.create_content(place.owner, place.members, news())
    assert space_archived.value.code == "archived"
    with pytest.raises(errors.Conflict) as submit:
        publishing.submit_content(place.owner, draft["id"])
    assert submit.value.code == "archived"
    assert publishing.get_content(place.owner, draft["id"])["my_actions"] == []
    spaces.transition(place.owner, place.id, "archived")
    place.known()
    for change in (
        lambda: publishing.create_content(place.owner, place.public, news()),
        lambda: publishing.update_content(place.owner, item["id"], {"title": "New"}, None),
        lambda: publishing.archive_content(place.owner, item["id"]),
    ):
        with pytest.raises(errors.Conflict) as refused:
            change()
        assert refused.value.code == "archived"
    assert publishing.get_content(None, item["id"])["state"] == "published"  # still read
