"""Comments, reactions and answers on a real PublishingService (and SpacesService): who may write and
read them, one level of replies, idempotent reactions, answers by experts and their acceptance, and
the events in the outbox."""

from __future__ import annotations

import pytest

from kernel import errors
from kernel.events.catalog import ANSWER_ACCEPTED, ANSWER_POSTED, COMMENT_CREATED, REACTION_ADDED
from tests.publishing.interface.conftest import events, make_actor, published


def refused(call, *args) -> str:
    """The class name of the kernel error that ``call(*args)`` raises."""
    with pytest.raises(errors.ServiceError) as caught:
        call(*args)
    return type(caught.value).__name__


def test_comments_have_one_level_of_replies(publishing, world, pdb):
    place = world()
    author, reader = place.join(), place.join()
    item = published(publishing, author, place.public)

    first = publishing.add_comment(reader, item["id"], "First!")
    reply = publishing.add_comment(author, item["id"], "Thanks", first["id"])
    assert (reply["parent_id"], reply["author_id"]) == (first["id"], author["user_id"])
    assert refused(publishing.add_comment, reader, item["id"], "Deeper", reply["id"]) == "Unprocessable"

    page = publishing.list_comments(None, item["id"], 1, None)
    assert [c["id"] for c in page["items"]] == [first["id"]]
    rest = publishing.list_comments(None, item["id"], 10, page["next"])
    assert ([c["id"] for c in rest["items"]], rest["next"]) == ([reply["id"]], None)
    assert publishing.get_content(None, item["id"])["comments_count"] == 2

    created = events(pdb, COMMENT_CREATED, f"content/{item['id']}")
    assert [(e["comment_id"], e["parent_comment_id"]) for e in created] == [
        (first["id"], None),
        (reply["id"], first["id"]),
    ]
    assert not {"body", "title"} & set(created[0])


def test_a_comment_needs_a_published_item_one_reads_and_the_comment_permission(publishing, world):
    place = world()
    author, stranger = place.join(), make_actor()
    draft = publishing.create_content(author, place.public, {"type": "news", "title": "Draft", "body": "x"})
    assert refused(publishing.add_comment, author, draft["id"], "On a draft") == "NotFound"
    assert refused(publishing.list_comments, author, draft["id"], 10, None) == "NotFound"

    secret = published(publishing, author, place.members)
    assert refused(publishing.add_comment, stranger, secret["id"], "Hello") == "NotFound"
    open_item = published(publishing, author, place.public)
    # a stranger reads the public space but is no member: no `comment` there
    assert refused(publishing.add_comment, stranger, open_item["id"], "Hi") == "PermissionDenied"
    assert refused(publishing.add_comment, author, open_item["id"], "") == "InvalidInput"
    assert refused(publishing.add_comment, author, open_item["id"], "x" * 10_001) == "InvalidInput"


def test_a_confidential_items_comments_do_not_exist_for_non_members(publishing, world, pdb):
    place = world()
    author, member = place.join(), place.join()
    item = published(publishing, author, place.public, knowledge_level="confidential")
    publishing.add_comment(member, item["id"], "Between us")
    publishing.react(member, item["id"], "like")

    assert len(publishing.list_comments(member, item["id"], 10, None)["items"]) == 1
    for outsider in (None, make_actor()):
        assert refused(publishing.list_comments, outsider, item["id"], 10, None) == "NotFound"
        assert refused(publishing.get_content, outsider, item["id"]) == "NotFound"
    assert refused(publishing.react, make_actor(), item["id"], "like") == "NotFound"

    for event_type in (COMMENT_CREATED, REACTION_ADDED):
        (event,) = events(pdb, event_type, f"content/{item['id']}")
        assert event["knowledge_level"] == "confidential"
        assert not {"title", "body", "text"} & set(event)


def test_reactions_are_idempotent_and_counted(publishing, world, pdb):
    place = world()
    author, alice, bob = place.join(), place.join(), place.join()
    item = published(publishing, author, place.public)

    publishing.react(alice, item["id"], "like")
    again = publishing.react(alice, item["id"], "like")
    assert again == {"content_id": item["id"], "reactions": {"like": 1}, "mine": ["like"]}
    publishing.react(alice, item["id"], "thanks")
    counted = publishing.react(bob, item["id"], "like")
    assert (counted["reactions"], counted["mine"]) == ({"like": 2, "thanks": 1}, ["like"])
    assert publishing.get_content(None, item["id"])["reactions"] == {"like": 2, "thanks": 1}
    assert refused(publishing.react, alice, item["id"], "dislike") == "InvalidInput"
    assert refused(publishing.react, None, item["id"], "like") == "Unauthenticated"

    added = events(pdb, REACTION_ADDED, f"content/{item['id']}")
    assert sorted((e["user_id"], e["reaction"]) for e in added) == sorted(
        [(alice["user_id"], "like"), (alice["user_id"], "thanks"), (bob["user_id"], "like")]
    )


@pytest.fixture
def qa(world):
    """A community with the qa module, an asker, an expert (role ``expert``: ``validate``), a verified
    expert who is a plain member, and a member."""
    place = world(modules=["news", "forum", "qa"])
    people = {
        "asker": place.join(),
        "expert": place.join(role="expert"),
        "verified": place.join(expert=True),
        "member": place.join(),
    }
    return place, people


def question(publishing, place, asker, **data) -> dict:
    return published(publishing, asker, place.public, type="question", title="How?", body="Tell me.", **data)


def answer(publishing, author, question_id, body="Like this.") -> dict:
    draft = publishing.post_answer(author, question_id, {"body": body})
    return publishing.submit_content(author, draft["id"])


def test_an_answer_by_a_verified_expert_is_marked(publishing, qa, pdb):
    place, people = qa
    asked = question(publishing, place, people["asker"])
    by_expert = publishing.post_answer(people["verified"], asked["id"], {"body": "I know."})
    plain = publishing.post_answer(people["member"], asked["id"], {"body": "I guess."})
    assert (by_expert["type"], by_expert["parent_id"], by_expert["state"]) == ("answer", asked["id"], "draft")
    assert (by_expert["by_expert"], plain["by_expert"]) == (True, False)

    posted = events(pdb, ANSWER_POSTED, f"content/{asked['id']}")
    assert [(e["answer_id"], e["by_expert"]) for e in posted] == [(by_expert["id"], True), (plain["id"], False)]
    assert events(pdb, "ecommunity.publishing.content.created.v1", f"content/{by_expert['id']}")
    news = published(publishing, people["asker"], place.public)
    assert refused(publishing.post_answer, people["member"], news["id"], {"body": "?"}) == "Unprocessable"


def test_the_asker_or_an_expert_accepts_an_answer(publishing, qa, pdb):
    place, people = qa
    asked = question(publishing, place, people["asker"], knowledge_level="confidential")
    first = answer(publishing, people["member"], asked["id"])
    second = answer(publishing, people["verified"], asked["id"])

    accepted = publishing.accept_answer(people["asker"], first["id"])
    assert accepted["accepted_answer_id"] == first["id"]
    replaced = publishing.accept_answer(people["expert"], second["id"])
    assert replaced["accepted_answer_id"] == second["id"]
    assert publishing.get_content(people["member"], asked["id"])["accepted_answer_id"] == second["id"]

    assert refused(publishing.accept_answer, people["member"], first["id"]) == "PermissionDenied"
    assert refused(publishing.accept_answer, make_actor(), first["id"]) == "NotFound"
    draft = publishing.post_answer(people["member"], asked["id"], {"body": "Later."})
    assert refused(publishing.accept_answer, people["asker"], draft["id"]) == "NotFound"  # not theirs to read
    assert refused(publishing.accept_answer, people["member"], draft["id"]) == "Conflict"  # not published

    found = events(pdb, ANSWER_ACCEPTED, f"content/{asked['id']}")
    assert [(e["answer_id"], e["accepted_by"], e["by_expert"]) for e in found] == [
        (first["id"], people["asker"]["user_id"], False),
        (second["id"], people["expert"]["user_id"], True),
    ]
    assert all(e["knowledge_level"] == "confidential" and "title" not in e for e in found)
