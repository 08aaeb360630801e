"""Moderation on a real PublishingService (and SpacesService): reports hide an item, a lock closes its
discussion, crisis mode holds new items and slows members down, a mute stops a member writing until
its end, every sanction is audited — who may not, and the events in the outbox."""

from __future__ import annotations

import time

import pytest

from kernel import errors
from kernel.events.catalog import CONTENT_HIDDEN, CONTENT_REPORTED, SANCTION_APPLIED, SPACE_CRISIS_MODE_CHANGED
from tests.publishing.interface.conftest import events, later, make_actor, news, published, query


def refused(call, *args) -> tuple[str, str]:
    """The class name and code of the kernel error that ``call(*args)`` raises."""
    with pytest.raises(errors.ServiceError) as caught:
        call(*args)
    return type(caught.value).__name__, caught.value.code


def feed_ids(publishing, actor, space_id) -> set[str]:
    return {item["id"] for item in publishing.space_feed(actor, space_id, 100, None)["items"]}


def test_five_distinct_reporters_hide_an_item_kept_for_moderators(publishing, world, pdb):
    place = world()
    author, moderator = place.join(), place.join(role="moderator")
    readers = [place.join() for _ in range(5)]
    item = published(publishing, author, place.public)

    first = publishing.report_content(readers[0], item["id"], "Spam link", "spam")
    again = publishing.report_content(readers[0], item["id"], "Still spam", "abuse")
    assert again == first  # the same reader twice counts once
    for reader in readers[1:4]:
        publishing.report_content(reader, item["id"], "Rude", "abuse")
    assert item["id"] in feed_ids(publishing, None, place.public)
    publishing.report_content(readers[4], item["id"], "Off topic", "off_topic")

    assert item["id"] not in feed_ids(publishing, None, place.public)
    assert item["id"] not in feed_ids(publishing, readers[0], place.public)
    assert refused(publishing.get_content, None, item["id"]) == ("NotFound", "content-not-found")
    assert publishing.get_content(moderator, item["id"])["id"] == item["id"]
    assert refused(publishing.report_content, readers[1], item["id"], "x", "spam")[0] == "NotFound"

    reported = events(pdb, CONTENT_REPORTED, f"content/{item['id']}")
    assert [e["reports"] for e in reported] == [1, 2, 3, 4, 5]
    assert not {"reason", "body"} & set(reported[0])
    (hidden,) = events(pdb, CONTENT_HIDDEN, f"content/{item['id']}")
    assert (hidden["reason"], hidden["hidden_by"]) == ("reports", None)
    assert query(pdb, "SELECT count(*) FROM reports WHERE content_id = %s", (item["id"],)) == [(5,)]


def test_the_threshold_is_configured_and_confidential_events_carry_no_title(publishing, world, pdb):
    place = world()
    author, member = place.join(), place.join()
    assert refused(publishing.set_report_threshold, member, place.id, 2) == ("PermissionDenied", "missing-permission")
    assert refused(publishing.set_report_threshold, place.owner, place.id, 0)[0] == "InvalidInput"
    assert publishing.set_report_threshold(place.owner, place.id, 2)["report_threshold"] == 2
    item = published(publishing, author, place.public, knowledge_level="confidential", title="Secret plan")

    assert refused(publishing.report_content, make_actor(), item["id"], "x", "spam")[0] == "NotFound"
    assert refused(publishing.report_content, member, item["id"], "x", "rant")[0] == "InvalidInput"
    publishing.report_content(member, item["id"], "Misleading", "misinformation")
    publishing.report_content(place.owner, item["id"], "Wrong", "misinformation")
    assert item["id"] not in feed_ids(publishing, member, place.public)
    for event in events(pdb, CONTENT_REPORTED, f"content/{item['id']}") + events(
        pdb, CONTENT_HIDDEN, f"content/{item['id']}"
    ):
        assert event["title"] is None
        assert event["knowledge_level"] == "confidential"
        assert not {"body", "text", "reason_text"} & set(event)


def test_a_locked_item_takes_no_comment_nor_answer(publishing, world):
    place = world(modules=["news", "forum", "qa"])
    author, moderator, member = place.join(), place.join(role="moderator"), place.join()
    item = published(publishing, author, place.public)
    asked = published(publishing, author, place.public, type="question", title="How?", body="Tell me.")
    assert refused(publishing.lock_content, member, item["id"], True) == ("PermissionDenied", "missing-permission")

    assert publishing.lock_content(moderator, item["id"], True) == {"content_id": item["id"], "locked": True}
    publishing.lock_content(moderator, asked["id"], True)
    assert refused(publishing.add_comment, member, item["id"], "Hello") == ("Conflict", "locked")
    assert refused(publishing.post_answer, member, asked["id"], {"body": "So."}) == ("Conflict", "locked")
    publishing.lock_content(moderator, item["id"], False)
    assert publishing.add_comment(member, item["id"], "Hello")["body"] == "Hello"


def test_crisis_mode_holds_new_items_and_slows_members_down(publishing, world, pdb):
    place = world()
    moderator, member = place.join(role="moderator"), place.join()
    before = published(publishing, member, place.public)
    assert refused(publishing.set_crisis_mode, member, place.public, True, 60)[0] == "PermissionDenied"
    assert refused(publishing.set_crisis_mode, moderator, place.public, True, 3601)[0] == "InvalidInput"

    changed = publishing.set_crisis_mode(moderator, place.public, True, 2)
    assert (changed["crisis"], changed["slow_seconds"]) == (True, 2)
    time.sleep(2.1)  # the member's earlier post is older than the slow mode
    draft = publishing.create_content(member, place.public, news("Heated"))
    held = publishing.submit_content(member, draft["id"])
    assert held["state"] == "submitted"  # pre-moderation, whatever the community's policy
    assert draft["id"] not in feed_ids(publishing, None, place.public)
    assert refused(publishing.create_content, member, place.public, news("Again")) == ("RateLimited", "slow-mode")
    assert refused(publishing.add_comment, member, before["id"], "Hot take") == ("Conflict", "crisis-mode")
    assert publishing.add_comment(moderator, before["id"], "Calm down")["body"] == "Calm down"
    assert publishing.approve_content(moderator, draft["id"])["state"] == "published"

    publishing.set_crisis_mode(moderator, place.public, False, 0)
    after = publishing.create_content(member, place.public, news("Calm"))
    assert publishing.submit_content(member, after["id"])["state"] == "published"
    changes = events(pdb, SPACE_CRISIS_MODE_CHANGED, f"space/{place.public}")
    assert [(e["crisis"], e["slow_seconds"], e["changed_by"]) for e in changes] == [
        (True, 2, moderator["user_id"]),
        (False, 0, moderator["user_id"]),
    ]


def test_a_mute_stops_writing_until_its_end_and_every_sanction_is_audited(publishing, world, pdb):
    place = world()
    member, other = place.join(), place.join()
    item = published(publishing, other, place.public)
    warned = publishing.apply_sanction(place.owner, place.id, member["user_id"], "warn", "Be kind.")
    assert (warned["kind"], warned["until"]) == ("warn", None)
    assert publishing.add_comment(member, item["id"], "Sorry")  # a warning is recorded only
    assert refused(publishing.apply_sanction, place.owner, place.id, member["user_id"], "mute", "x", None)[0] == (
        "Unprocessable"
    )
    assert refused(publishing.apply_sanction, other, place.id, member["user_id"], "warn", "x")[0] == (
        "PermissionDenied"
    )

    muted = publishing.apply_sanction(place.owner, place.id, member["user_id"], "mute", "Spamming.", later(3))
    assert muted["kind"] == "mute"
    assert refused(publishing.create_content, member, place.public, news()) == ("PermissionDenied", "muted")
    assert refused(publishing.add_comment, member, item["id"], "Hi") == ("PermissionDenied", "muted")
    time.sleep(3.2)
    assert publishing.create_content(member, place.public, news())["state"] == "draft"

    listed = publishing.list_sanctions(place.owner, place.id, 1, None)
    rest = publishing.list_sanctions(place.owner, place.id, 10, listed["next"])
    assert [s["id"] for s in listed["items"] + rest["items"]] == [muted["id"], warned["id"]]
    assert listed["items"][0]["reason"] == "Spamming."
    assert refused(publishing.list_sanctions, member, place.id, 10, None)[0] == "PermissionDenied"
    assert refused(publishing.list_sanctions, place.owner, "not-a-uuid", 10, None)[0] == "NotFound"

    applied = events(pdb, SANCTION_APPLIED, f"community/{place.id}")
    assert [(e["kind"], e["user_id"], e["applied_by"]) for e in applied] == [
        ("warn", member["user_id"], place.owner["user_id"]),
        ("mute", member["user_id"], place.owner["user_id"]),
    ]
    assert all("reason" not in e for e in applied)
