"""The validation workflow end to end, each policy set on a live community through the spaces
service (update_community) and learnt by publishing from its events: none, pre-moderation,
multi-step with two steps held by different roles, rejection and resubmission, scheduled
publication by the timer, and the transitions and events each leaves."""

from __future__ import annotations

import pytest

from kernel import errors
from kernel.events import catalog
from kernel.testing.waiting import eventually
from tests.publishing.interface.conftest import events, later, news, query

PRE_MODERATION = {"mode": "pre_moderation", "steps": [{"name": "moderation", "role": "moderator"}]}
TWO_STEPS = {
    "mode": "multi_step",
    "steps": [{"name": "review", "role": "expert"}, {"name": "approval", "role": "lead"}],
}
LEAD = ["read", "post", "comment"]  # a custom role: no validate, no moderate — only its step


def transitions(pdb, content_id: str) -> list[tuple]:
    return query(
        pdb,
        "SELECT from_state, to_state, step, actor_id::text, reason FROM content_transitions"
        " WHERE content_id = %s ORDER BY id",
        (content_id,),
    )


def types_of(pdb, content_id: str) -> list[str]:
    rows = query(pdb, "SELECT type FROM outbox WHERE subject = %s ORDER BY seq", (f"content/{content_id}",))
    return [row[0].split(".")[-2] for row in rows]


def queue_ids(publishing, who: dict, community_id: str) -> list[str]:
    return [item["id"] for item in publishing.moderation_queue(who, community_id, 100, None)["items"]]


def test_without_validation_a_submitted_item_is_published_at_once(publishing, world, pdb):
    place = world()
    author = place.join()
    item = publishing.create_content(author, place.public, news())
    done = publishing.submit_content(author, item["id"])
    assert done["state"] == "published"
    assert done["published_at"] is not None
    assert types_of(pdb, item["id"]) == ["created", "submitted", "published"]
    [event] = events(pdb, catalog.CONTENT_PUBLISHED, f"content/{item['id']}")
    assert event["published_by"] == author["user_id"]
    assert transitions(pdb, item["id"])[-1] == ("draft", "published", None, author["user_id"], None)
    with pytest.raises(errors.Conflict) as again:
        publishing.submit_content(author, item["id"])
    assert again.value.code == "transition-not-allowed"
    assert again.value.extra["allowed"] == ["edit", "archive", "restore"]


def test_pre_moderation_waits_for_one_approval(publishing, world, pdb):
    place = world(validation=PRE_MODERATION)
    author, moderator, other = place.join(), place.join(role="moderator"), place.join()
    expert = place.join(role="expert")  # holds validate
    item = publishing.create_content(author, place.public, news())
    with pytest.raises(errors.NotFound):  # a draft does not exist for others
        publishing.submit_content(other, item["id"])
    submitted = publishing.submit_content(author, item["id"])
    assert submitted["state"] == "submitted"
    assert submitted["my_actions"] == []
    with pytest.raises(errors.NotFound):  # unpublished: not for other members
        publishing.get_content(other, item["id"])
    with pytest.raises(errors.PermissionDenied):
        publishing.approve_content(author, item["id"])
    seen = publishing.get_content(moderator, item["id"])
    assert seen["my_actions"] == ["approve", "reject"]
    assert [t["to_state"] for t in seen["history"]] == ["draft", "submitted"]
    assert item["id"] in queue_ids(publishing, moderator, place.id)
    assert item["id"] in queue_ids(publishing, expert, place.id)
    assert queue_ids(publishing, other, place.id) == []
    approved = publishing.approve_content(expert, item["id"])
    assert approved["state"] == "published"
    assert item["id"] not in queue_ids(publishing, moderator, place.id)
    assert publishing.get_content(other, item["id"])["history"] is None  # readers see no history
    [approval] = events(pdb, catalog.CONTENT_APPROVED, f"content/{item['id']}")
    assert (approval["approved_by"], approval["step"], approval["final"]) == (expert["user_id"], None, True)
    assert approval["state"] == "approved"  # the approval's own state; published is the next event
    assert types_of(pdb, item["id"]) == ["created", "submitted", "approved", "published"]
    assert [row[:2] for row in transitions(pdb, item["id"])] == [
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("approved", "published"),
    ]


def test_multi_step_passes_each_step_by_its_role_in_order(publishing, world, pdb):
    place = world()
    place.add_roles(lead=LEAD)
    place.update(validation=TWO_STEPS)
    author, expert, lead, moderator = (
        place.join(),
        place.join(role="expert"),
        place.join(role="lead"),
        place.join(role="moderator"),
    )
    item = publishing.create_content(author, place.public, news())
    reviewing = publishing.submit_content(author, item["id"])
    assert (reviewing["state"], reviewing["step"]) == ("in_review", "review")
    assert item["id"] in queue_ids(publishing, expert, place.id)
    assert item["id"] not in queue_ids(publishing, lead, place.id)
    assert item["id"] in queue_ids(publishing, moderator, place.id)
    with pytest.raises(errors.PermissionDenied):  # the second step's role cannot pass the first
        publishing.approve_content(lead, item["id"])
    second = publishing.approve_content(expert, item["id"])
    assert (second["state"], second["step"]) == ("in_review", "approval")
    assert item["id"] not in queue_ids(publishing, expert, place.id)
    assert item["id"] in queue_ids(publishing, lead, place.id)
    with pytest.raises(errors.PermissionDenied):  # validate does not pass another role's step
        publishing.approve_content(expert, item["id"])
    assert publishing.get_content(lead, item["id"])["my_actions"] == ["approve", "reject"]
    done = publishing.approve_content(lead, item["id"])
    assert (done["state"], done["step"]) == ("published", None)
    approvals = events(pdb, catalog.CONTENT_APPROVED, f"content/{item['id']}")
    assert [(a["step"], a["final"], a["approved_by"], a["state"]) for a in approvals] == [
        ("review", False, expert["user_id"], "in_review"),
        ("approval", True, lead["user_id"], "approved"),
    ]
    assert [row[:3] for row in transitions(pdb, item["id"])] == [
        (None, "draft", None),
        ("draft", "in_review", "review"),
        ("in_review", "in_review", "review"),
        ("in_review", "approved", "approval"),
        ("approved", "published", None),
    ]


def test_a_moderator_passes_any_step(publishing, world):
    place = world()
    place.add_roles(lead=LEAD)
    place.update(validation=TWO_STEPS)
    author, moderator = place.join(), place.join(role="moderator")
    item = publishing.create_content(author, place.public, news())
    publishing.submit_content(author, item["id"])
    assert publishing.approve_content(moderator, item["id"])["step"] == "approval"
    assert publishing.approve_content(moderator, item["id"])["state"] == "published"


def test_a_rejected_item_is_edited_into_a_draft_and_submitted_again(publishing, world, pdb):
    place = world(validation=PRE_MODERATION)
    author, moderator = place.join(), place.join(role="moderator")
    item = publishing.create_content(author, place.public, news("Draft title"))
    publishing.submit_content(author, item["id"])
    for reason in ("", "   ", None):
        with pytest.raises(errors.InvalidInput):
            publishing.reject_content(moderator, item["id"], reason)
    rejected = publishing.reject_content(moderator, item["id"], "Too vague.")
    assert rejected["state"] == "rejected"
    [event] = events(pdb, catalog.CONTENT_REJECTED, f"content/{item['id']}")
    assert (event["reason"], event["rejected_by"], event["step"]) == ("Too vague.", moderator["user_id"], None)
    mine = publishing.get_content(author, item["id"])
    assert mine["my_actions"] == ["edit", "archive", "restore"]
    with pytest.raises(errors.Conflict) as refused:
        publishing.submit_content(author, item["id"])
    assert refused.value.code == "transition-not-allowed"
    assert refused.value.extra == {"code": "transition-not-allowed", "state": "rejected", "allowed": mine["my_actions"]}
    edited = publishing.update_content(author, item["id"], {"title": "A precise title"}, None)
    assert (edited["state"], edited["revision"], edited["title"]) == ("draft", 2, "A precise title")
    assert publishing.submit_content(author, item["id"])["state"] == "submitted"
    history = publishing.get_content(moderator, item["id"])["history"]
    assert [(t["from_state"], t["to_state"], t["reason"]) for t in history] == [
        (None, "draft", None),
        ("draft", "submitted", None),
        ("submitted", "rejected", "Too vague."),
        ("rejected", "draft", None),
        ("draft", "submitted", None),
    ]


def test_a_decision_on_a_draft_is_not_a_transition(publishing, world):
    place = world(validation=PRE_MODERATION)
    moderator = place.join(role="moderator")
    item = publishing.create_content(moderator, place.public, news())
    with pytest.raises(errors.Conflict) as refused:
        publishing.approve_content(moderator, item["id"])
    assert refused.value.code == "transition-not-allowed"
    assert refused.value.extra["state"] == "draft"
    assert "submit" in refused.value.extra["allowed"]


def test_a_scheduled_item_is_published_by_the_timer(publishing, world, pdb):
    place = world()
    author, reader = place.join(), place.join()
    item = publishing.create_content(author, place.public, news(publish_at=later(2)))
    waiting = publishing.submit_content(author, item["id"])
    assert waiting["state"] == "approved"
    assert waiting["published_at"] is None
    with pytest.raises(errors.NotFound):
        publishing.get_content(reader, item["id"])

    def is_published():
        return publishing.get_content(author, item["id"])["state"] == "published"

    eventually(is_published, timeout=20, interval=0.5, what="the timer to publish the item")
    assert publishing.get_content(reader, item["id"])["state"] == "published"
    [event] = events(pdb, catalog.CONTENT_PUBLISHED, f"content/{item['id']}")
    assert event["published_by"] is None
    assert transitions(pdb, item["id"])[-1] == ("approved", "published", None, None, None)
    assert types_of(pdb, item["id"]) == ["created", "submitted", "published"]


def test_an_approved_item_is_published_now_by_who_approves(publishing, world, pdb):
    place = world(validation=PRE_MODERATION)
    author, moderator = place.join(), place.join(role="moderator")
    item = publishing.create_content(author, place.public, news(publish_at=later(3600)))
    publishing.submit_content(author, item["id"])
    approved = publishing.approve_content(moderator, item["id"])
    assert approved["state"] == "approved"
    assert approved["my_actions"] == ["publish", "archive"]
    with pytest.raises(errors.PermissionDenied):
        publishing.publish_content(author, item["id"])
    done = publishing.publish_content(moderator, item["id"])
    assert done["state"] == "published"
    [event] = events(pdb, catalog.CONTENT_PUBLISHED, f"content/{item['id']}")
    assert event["published_by"] == moderator["user_id"]
