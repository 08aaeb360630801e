"""Co-edition through a real PublishingService: every save a revision, saves from an older revision
merged three ways (disjoint: saved and marked merged; overlapping: 409 with a proposal, nothing
saved), If-Match required for co-edited types, stale and unknown bases refused, revisions listed,
compared and restored — and who may edit at all."""

from __future__ import annotations

import pytest

from kernel import errors
from kernel.events import catalog
from tests.publishing.interface.conftest import events, news, query

BODY = "Line one\nLine two\nLine three\n"


@pytest.fixture
def documents(world):
    """A live community with the documents module, an author and two co-editors (``expert`` holds
    ``co_edit``) and a member without it."""
    place = world(modules=["news", "forum", "documents"])
    author, alice, bob, member = place.join(), place.join(role="expert"), place.join(role="expert"), place.join()
    return place, author, alice, bob, member


def document(publishing, place, author, **data) -> dict:
    return publishing.create_content(author, place.public, {"type": "document", "title": "Spec", "body": BODY, **data})


def test_a_co_edited_save_says_its_base(publishing, documents, pdb):
    place, author, alice, _, _ = documents
    doc = document(publishing, place, author)
    with pytest.raises(errors.PreconditionRequired) as missing:
        publishing.update_content(alice, doc["id"], {"title": "Spec v2"}, None)
    assert missing.value.code == "if-match-required"
    saved = publishing.update_content(alice, doc["id"], {"title": "Spec v2"}, 1)
    assert (saved["revision"], saved["title"], saved["merged"]) == (2, "Spec v2", False)
    [event] = events(pdb, catalog.CONTENT_UPDATED, f"content/{doc['id']}")
    assert (event["revision"], event["changed"], event["merged"], event["updated_by"]) == (
        2,
        ["title"],
        False,
        alice["user_id"],
    )
    assert query(
        pdb, "SELECT author_id::text FROM content_revisions WHERE content_id = %s AND number = 2", (doc["id"],)
    )[0] == (alice["user_id"],)


def test_disjoint_saves_from_the_same_base_are_merged(publishing, documents, pdb):
    place, author, alice, bob, _ = documents
    doc = document(publishing, place, author)
    first = publishing.update_content(alice, doc["id"], {"body": "Line ONE\nLine two\nLine three\n"}, 1)
    assert first["merged"] is False
    second = publishing.update_content(bob, doc["id"], {"body": "Line one\nLine two\nLine THREE\n", "title": "B"}, 1)
    assert second["merged"] is True
    assert second["revision"] == 3
    assert second["body"] == "Line ONE\nLine two\nLine THREE\n"
    assert second["title"] == "B"
    assert "<p>Line ONE" in second["body_html"]
    updates = events(pdb, catalog.CONTENT_UPDATED, f"content/{doc['id']}")
    assert [(u["revision"], u["merged"]) for u in updates] == [(2, False), (3, True)]
    assert updates[1]["changed"] == ["title", "body"]


def test_overlapping_saves_are_a_conflict_with_a_proposal_and_nothing_saved(publishing, documents, pdb):
    place, author, alice, bob, _ = documents
    doc = document(publishing, place, author)
    publishing.update_content(alice, doc["id"], {"body": "Line one\nAlice's line\nLine three\n"}, 1)
    with pytest.raises(errors.Conflict) as conflict:
        publishing.update_content(bob, doc["id"], {"body": "Line one\nBob's line\nLine three\n"}, 1)
    assert conflict.value.code == "edit-conflict"
    extra = conflict.value.extra
    assert extra["conflicts"] == ["body"]
    assert extra["current_revision"] == 2
    assert extra["base"]["body"] == BODY
    assert extra["theirs"]["body"] == "Line one\nAlice's line\nLine three\n"
    assert extra["yours"]["body"] == "Line one\nBob's line\nLine three\n"
    assert extra["proposal"]["body"] == (
        "Line one\n<<<<<<< theirs\nAlice's line\n=======\nBob's line\n>>>>>>> yours\nLine three\n"
    )
    assert {"title", "body", "fields"} <= set(extra["proposal"])
    assert publishing.get_content(author, doc["id"])["revision"] == 2
    assert query(pdb, "SELECT count(*) FROM content_revisions WHERE content_id = %s", (doc["id"],)) == [(2,)]
    assert len(events(pdb, catalog.CONTENT_UPDATED, f"content/{doc['id']}")) == 1
    publishing.update_content(alice, doc["id"], {"title": "Alice's spec"}, 2)
    with pytest.raises(errors.Conflict) as titles:  # a part changed differently on both sides
        publishing.update_content(bob, doc["id"], {"title": "Bob's spec"}, 1)
    assert titles.value.extra["conflicts"] == ["title"]


def test_a_stale_or_unknown_base_is_refused(publishing, documents):
    place, author, alice, _, _ = documents
    doc = document(publishing, place, author)
    for base in (2, 99, 0, -1, "1", True, 1.5):
        with pytest.raises(errors.InvalidInput):
            publishing.update_content(alice, doc["id"], {"title": "X"}, base)
    assert publishing.get_content(alice, doc["id"])["revision"] == 1


def test_who_may_edit(publishing, documents, world):
    place, author, alice, _, member = documents
    doc = document(publishing, place, author)
    with pytest.raises(errors.NotFound):  # a draft: not for a member without co_edit
        publishing.update_content(member, doc["id"], {"title": "X"}, 1)
    publishing.submit_content(author, doc["id"])
    with pytest.raises(errors.PermissionDenied):  # published and read, but no co_edit
        publishing.update_content(member, doc["id"], {"title": "X"}, 1)
    assert "edit" in publishing.get_content(alice, doc["id"])["my_actions"]
    assert "edit" not in publishing.get_content(member, doc["id"])["my_actions"]
    item = publishing.create_content(author, place.public, news())  # not co-edited: the author only
    assert publishing.update_content(author, item["id"], {"body": "New"}, None)["revision"] == 2
    with pytest.raises(errors.NotFound):
        publishing.update_content(alice, item["id"], {"body": "Mine"}, None)
    for changes in ({}, {"colour": "red"}, {"title": ""}, {"title": None}, {"body": "x" * 100_001}):
        with pytest.raises((errors.InvalidInput, errors.TooLarge)):
            publishing.update_content(author, item["id"], changes, None)


def test_a_co_editor_reads_a_draft_of_a_co_edited_type(publishing, documents):
    place, author, alice, _, member = documents
    doc = document(publishing, place, author)
    assert publishing.get_content(alice, doc["id"])["my_actions"] == ["edit", "restore"]
    with pytest.raises(errors.NotFound):
        publishing.get_content(member, doc["id"])


def test_revisions_are_listed_compared_and_restored(publishing, documents, pdb):
    place, author, alice, _, _ = documents
    doc = document(publishing, place, author, fields={})
    publishing.update_content(alice, doc["id"], {"body": "Line one\nLine 2\nLine three\n"}, 1)
    publishing.update_content(alice, doc["id"], {"title": "Spec, final"}, 2)
    first = publishing.list_revisions(alice, doc["id"], 2, None)
    assert [r["number"] for r in first["items"]] == [3, 2]
    rest = publishing.list_revisions(alice, doc["id"], 2, first["next"])
    assert [r["number"] for r in rest["items"]] == [1]
    assert rest["next"] is None
    assert rest["items"][0]["body"] == BODY
    diff = publishing.diff_revisions(alice, doc["id"], 1, 3)
    assert (diff["from_revision"], diff["to_revision"]) == (1, 3)
    assert diff["title"] == {"from": "Spec", "to": "Spec, final"}
    assert "-Line two\n+Line 2\n" in diff["body"]
    with pytest.raises(errors.NotFound):
        publishing.diff_revisions(alice, doc["id"], 1, 9)
    with pytest.raises(errors.InvalidInput):
        publishing.diff_revisions(alice, doc["id"], "a", 2)
    restored = publishing.restore_revision(alice, doc["id"], 1)
    assert (restored["revision"], restored["title"], restored["body"]) == (4, "Spec", BODY)
    last = events(pdb, catalog.CONTENT_UPDATED, f"content/{doc['id']}")[-1]
    assert (last["revision"], last["changed"], last["merged"]) == (4, ["title", "body"], False)
    with pytest.raises(errors.NotFound):
        publishing.restore_revision(alice, doc["id"], 42)
    with pytest.raises(errors.InvalidInput):
        publishing.list_revisions(alice, doc["id"], 10, {"number": "x"})
