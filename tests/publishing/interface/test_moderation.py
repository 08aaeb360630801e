"""Moderation on a real PublishingService (and SpacesService): reports hide an item, a moderator hides
one or puts it back (audited), a lock closes its discussion, crisis mode holds new items and slows
members down, a mute stops a member writing until its end, a ban is pronounced by spaces (and refused
by its rules), every sanction is audited — who may not, and the events in the outbox."""

from __future__ import annotations

import time

import pytest

from kernel import errors
from kernel.events.catalog import (
    CONTENT_HIDDEN,
    CONTENT_REPORTED,
    CONTENT_UNHIDDEN,
    MEMBER_BANNED,
    SANCTION_APPLIED,
    SPACE_CRISIS_MODE_CHANGED,
)
from kernel.testing.waiting import eventually
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
    assert publishing.get_content(member, item["id"])["locked"] is True  # readers see why
    publishing.lock_content(moderator, item["id"], False)
    assert publishing.add_comment(member, item["id"], "Hello")["body"] == "Hello"
    assert publishing.get_content(member, item["id"])["locked"] is False

    # a locked thread takes no reply either
    topic = published(publishing, author, place.public, type="topic", title="Thread", body="Start.")
    publishing.lock_content(moderator, topic["id"], True)
    reply = {"type": "reply", "parent_id": topic["id"], "body": "Me too."}
    assert refused(publishing.create_content, member, place.public, reply) == ("Conflict", "locked")


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


def hidings(publishing, actor, content_id) -> list[tuple]:
    page = publishing.list_hidings(actor, content_id, 100, None)["items"]
    return [(h["action"], h["cause"], h["reason"], h["by"]) for h in page]


def test_a_moderator_hides_an_item_and_puts_it_back_audited(publishing, world, pdb):
    place = world()
    author, moderator, member = place.join(), place.join(role="moderator"), place.join()
    item = published(publishing, author, place.public, knowledge_level="confidential", title="Secret")
    stranger = make_actor()
    assert refused(publishing.hide_content, member, item["id"], "Rude") == ("PermissionDenied", "missing-permission")
    assert refused(publishing.hide_content, stranger, item["id"], "Rude") == ("NotFound", "content-not-found")
    assert refused(publishing.hide_content, moderator, item["id"], "")[0] == "InvalidInput"
    assert refused(publishing.hide_content, moderator, item["id"], "x" * 1001)[0] == "InvalidInput"
    assert refused(publishing.hide_content, moderator, "not-a-uuid", "Rude")[0] == "NotFound"
    assert item["id"] in feed_ids(publishing, member, place.public)  # nothing changed

    line = publishing.hide_content(moderator, item["id"], "Insults a member.")
    assert (line["action"], line["cause"], line["reason"], line["by"]) == (
        "hide",
        "moderator",
        "Insults a member.",
        moderator["user_id"],
    )
    assert item["id"] not in feed_ids(publishing, member, place.public)
    assert refused(publishing.get_content, member, item["id"])[0] == "NotFound"
    assert publishing.get_content(moderator, item["id"])["id"] == item["id"]
    assert refused(publishing.hide_content, moderator, item["id"], "Again") == ("Conflict", "already-hidden")
    assert refused(publishing.unhide_content, member, item["id"], "Fine")[0] == "NotFound"  # hidden from them
    assert refused(publishing.list_hidings, member, item["id"], 10, None)[0] == "NotFound"

    back = publishing.unhide_content(moderator, item["id"], "Apologized.")
    assert (back["action"], back["reason"]) == ("unhide", "Apologized.")
    assert item["id"] in feed_ids(publishing, member, place.public)
    assert refused(publishing.unhide_content, moderator, item["id"], "Again") == ("Conflict", "not-hidden")
    assert refused(publishing.list_hidings, member, item["id"], 10, None)[0] == "PermissionDenied"
    assert hidings(publishing, moderator, item["id"]) == [
        ("unhide", "moderator", "Apologized.", moderator["user_id"]),
        ("hide", "moderator", "Insults a member.", moderator["user_id"]),
    ]

    (hidden,) = events(pdb, CONTENT_HIDDEN, f"content/{item['id']}")
    (shown,) = events(pdb, CONTENT_UNHIDDEN, f"content/{item['id']}")
    assert (hidden["reason"], hidden["hidden_by"], shown["unhidden_by"]) == (
        "moderator",
        moderator["user_id"],
        moderator["user_id"],
    )
    for event in (hidden, shown):
        assert event["title"] is None  # confidential
        assert not {"Insults a member.", "Apologized."} & set(map(str, event.values()))


def test_putting_back_an_item_hidden_by_reports_resolves_them(publishing, world, pdb):
    place = world()
    author, moderator, readers = place.join(), place.join(role="moderator"), [place.join() for _ in range(3)]
    publishing.set_report_threshold(place.owner, place.id, 2)
    item = published(publishing, author, place.public)
    draft = publishing.create_content(moderator, place.public, news("Draft"))
    assert refused(publishing.hide_content, moderator, draft["id"], "x") == ("Conflict", "not-published")
    for reader in readers[:2]:
        publishing.report_content(reader, item["id"], "Spam", "spam")
    assert item["id"] not in feed_ids(publishing, None, place.public)

    publishing.unhide_content(moderator, item["id"], "Not spam.")
    assert item["id"] in feed_ids(publishing, None, place.public)
    assert query(pdb, "SELECT count(*) FROM reports WHERE content_id = %s AND resolved_at IS NULL", (item["id"],)) == [
        (0,)
    ]
    publishing.report_content(readers[2], item["id"], "Spam", "spam")  # one standing report: below 2
    assert item["id"] in feed_ids(publishing, None, place.public)
    assert hidings(publishing, moderator, item["id"]) == [
        ("unhide", "moderator", "Not spam.", moderator["user_id"]),
        ("hide", "reports", None, None),
    ]


def test_a_ban_is_pronounced_by_spaces_then_recorded(publishing, world, pdb, sdb):
    place = world()
    member, moderator = place.join(), place.join(role="moderator")
    published(publishing, member, place.public)
    banned = publishing.apply_sanction(moderator, place.id, member["user_id"], "ban", "Spam bot.", later(60))
    assert (banned["kind"], banned["until"], banned["reason"]) == ("ban", None, "Spam bot.")
    (pronounced,) = events(sdb, MEMBER_BANNED, f"community/{place.id}")
    assert (pronounced["user_id"], pronounced["banned_by"]) == (member["user_id"], moderator["user_id"])
    (applied,) = events(pdb, SANCTION_APPLIED, f"community/{place.id}")
    assert (applied["kind"], applied["until"], applied["applied_by"]) == ("ban", None, moderator["user_id"])

    def cannot_post() -> bool:
        try:
            publishing.create_content(member, place.public, news("Still here"))
        except errors.ServiceError:
            return True
        return False

    eventually(cannot_post, timeout=20, what="the ban to reach publishing's read model")
    assert refused(publishing.create_content, member, place.public, news())[0] in ("PermissionDenied", "NotFound")


def test_a_ban_spaces_refuses_is_not_recorded(publishing, world, pdb, sdb):
    place = world()
    moderator, manager, member = place.join(role="moderator"), place.join(role="manager"), place.join()
    owner_id = place.owner["user_id"]
    assert refused(publishing.apply_sanction, moderator, place.id, owner_id, "ban", "x") == (
        "PermissionDenied",
        "owner-not-bannable",
    )
    assert refused(publishing.apply_sanction, moderator, place.id, manager["user_id"], "ban", "x") == (
        "PermissionDenied",
        "owner-only",
    )
    assert refused(publishing.apply_sanction, member, place.id, owner_id, "ban", "x") == (
        "PermissionDenied",
        "missing-permission",
    )
    publishing.apply_sanction(place.owner, place.id, member["user_id"], "ban", "Spam.")
    assert refused(publishing.apply_sanction, place.owner, place.id, member["user_id"], "ban", "Again.") == (
        "Conflict",
        "already-banned",
    )
    assert [s["kind"] for s in publishing.list_sanctions(place.owner, place.id, 10, None)["items"]] == ["ban"]
    assert len(events(pdb, SANCTION_APPLIED, f"community/{place.id}")) == 1
    assert len(events(sdb, MEMBER_BANNED, f"community/{place.id}")) == 1
