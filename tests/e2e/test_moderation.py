"""Moderation through the gateway, with the real identity, spaces and publishing processes: five
readers' reports hide a post from the feed, a moderator hides a post and puts it back (audited), a
space in crisis mode holds new posts for pre-moderation, and a ban sanction (pronounced by spaces,
refused by its rules as its own route would) takes away the right to post."""

from __future__ import annotations

import pytest

from kernel.testing.waiting import eventually
from tests.support.publishing import (
    act,
    feed_ids,
    join,
    known_member,
    live_community,
    new_user,
    publishing_stack,
    write,
)
from tests.support.spaces import call, make_user, ok, problem

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    with publishing_stack(database_url, amqp_uri, tmp_path_factory.mktemp("moderation")) as stack:
        yield stack


@pytest.fixture(scope="module")
def place(platform):
    """A live interest community: its owner (who moderates), an author and five readers, members."""
    url, settings = platform
    owner = make_user(url, "community_creator", settings, name="Owner")[1]
    community_id, spaces = live_community(url, owner, "interest")
    people = [new_user(url, f"Member {n}") for n in range(6)]
    for person in people:
        join(url, community_id, person, owner)
        known_member(url, person, spaces["Members"]["id"])
    return url, owner, spaces["Public"]["id"], people


def test_five_reports_hide_a_post(place):
    url, owner, space_id, people = place
    author, readers = people[0], people[1:]
    item = ok(
        act(
            url,
            author.token,
            write(url, author.token, space_id, type="news", title="Buy now", body="x")["id"],
            "submit",
        )
    )
    feed = f"/v1/spaces/{space_id}/feed"
    reports = f"/v1/contents/{item['id']}/reports"
    problem(call(url, "POST", reports, None, {"reason": "Ads", "category": "spam"}), 401)
    problem(call(url, "POST", reports, readers[0].token, {"reason": "Ads", "category": "rant"}), 400)
    for reader in [*readers[:4], readers[0]]:
        ok(call(url, "POST", reports, reader.token, {"reason": "Ads", "category": "spam"}), 201)
    assert item["id"] in feed_ids(url, feed, None)  # the same reader twice counts once
    ok(call(url, "POST", reports, readers[4].token, {"reason": "Ads", "category": "spam"}), 201)
    assert item["id"] not in feed_ids(url, feed, None)
    problem(call(url, "GET", f"/v1/contents/{item['id']}", readers[0].token), 404)
    assert ok(call(url, "GET", f"/v1/contents/{item['id']}", owner))["id"] == item["id"]


def test_crisis_mode_holds_new_posts(place):
    url, owner, space_id, people = place
    member = people[5]
    path = f"/v1/spaces/{space_id}/crisis-mode"
    problem(call(url, "PUT", path, member.token, {"crisis": True}), 403)
    ok(call(url, "PUT", path, owner, {"crisis": True, "slow_seconds": 600}))
    try:
        draft = write(url, member.token, space_id, type="news", title="Outraged", body="!")
        assert ok(act(url, member.token, draft["id"], "submit"))["state"] == "submitted"
        response = call(
            url, "POST", f"/v1/spaces/{space_id}/contents", member.token, {"type": "news", "title": "Again"}
        )
        problem(response, 429)
        assert int(response.headers["Retry-After"]) > 0
        assert draft["id"] not in feed_ids(url, f"/v1/spaces/{space_id}/feed", None)
    finally:
        ok(call(url, "PUT", path, owner, {"crisis": False, "slow_seconds": 0}))


def surroundings(url, owner, space_id):
    """The community of the place's public space, and its "Members" space (secured)."""
    community_id = ok(call(url, "GET", f"/v1/spaces/{space_id}", owner))["community_id"]
    listed = ok(call(url, "GET", f"/v1/communities/{community_id}/spaces", owner, params={"limit": 100}))["items"]
    return community_id, next(s["id"] for s in listed if s["name"] == "Members")


def newcomer(url, community_id, owner, members_space_id, name, role=None):
    """A new member of the place (with ``role``), known to publishing."""
    person = new_user(url, name)
    join(url, community_id, person, owner, role)
    known_member(url, person, members_space_id)
    return person


def test_a_moderator_hides_a_post_and_puts_it_back(platform, place):
    url, owner, space_id, people = place
    author, member = people[0], people[1]
    members_space = surroundings(url, owner, space_id)[1]
    stranger = new_user(url, "Stranger")
    item = ok(
        act(
            url,
            author.token,
            write(url, author.token, members_space, type="news", title="Rant", body="!")["id"],
            "submit",
        )
    )
    hide, unhide, audit = (f"/v1/contents/{item['id']}/{what}" for what in ("hide", "unhide", "hidings"))
    feed = f"/v1/spaces/{members_space}/feed"

    problem(call(url, "POST", hide, None, {"reason": "Rude"}), 401)
    problem(call(url, "POST", hide, member.token, {"reason": "Rude"}), 403, "missing-permission")
    problem(call(url, "POST", hide, stranger.token, {"reason": "Rude"}), 404, "content-not-found")
    assert "reason" in problem(call(url, "POST", hide, owner, {}), 400)["errors"]
    problem(call(url, "POST", hide, owner, {"reason": ""}), 400)
    problem(call(url, "POST", hide, owner, {"reason": "x" * 1001}), 400)
    problem(call(url, "POST", "/v1/contents/not-a-uuid/hide", owner, {"reason": "Rude"}), 404)
    assert item["id"] in feed_ids(url, feed, member.token)  # nothing changed
    assert ok(call(url, "GET", audit, owner))["items"] == []

    line = ok(call(url, "POST", hide, owner, {"reason": "Insults a member."}), 201)
    assert (line["action"], line["cause"], line["reason"]) == ("hide", "moderator", "Insults a member.")
    assert item["id"] not in feed_ids(url, feed, member.token)
    problem(call(url, "GET", f"/v1/contents/{item['id']}", member.token), 404)
    problem(call(url, "POST", hide, owner, {"reason": "Again"}), 409, "already-hidden")
    problem(call(url, "POST", unhide, member.token, {"reason": "Fine"}), 404)  # they no longer see it

    ok(call(url, "POST", unhide, owner, {"reason": "Apologized."}), 201)
    assert item["id"] in feed_ids(url, feed, member.token)
    problem(call(url, "POST", unhide, owner, {"reason": "Again"}), 409, "not-hidden")
    problem(call(url, "GET", audit, member.token), 403)
    history = ok(call(url, "GET", audit, owner))["items"]
    assert [(h["action"], h["reason"]) for h in history] == [("unhide", "Apologized."), ("hide", "Insults a member.")]


def test_a_ban_sanction_takes_the_right_to_post_away(platform, place):
    url, owner, space_id, _ = place
    community_id, members_space = surroundings(url, owner, space_id)
    spammer = newcomer(url, community_id, owner, members_space, "Spammer")
    write(url, spammer.token, space_id, type="news", title="Cheap pills")  # may post while a member
    sanctions = f"/v1/communities/{community_id}/sanctions"

    banned = ok(call(url, "POST", sanctions, owner, {"user_id": spammer.id, "kind": "ban", "reason": "Spam."}), 201)
    assert (banned["kind"], banned["until"], banned["user_id"]) == ("ban", None, spammer.id)
    listed = ok(call(url, "GET", sanctions, owner, params={"limit": 100}))["items"]
    assert banned["id"] in {s["id"] for s in listed}

    def no_longer_a_member() -> bool:  # publishing learns of member.banned through RabbitMQ
        return call(url, "GET", f"/v1/spaces/{members_space}/feed", spammer.token).status_code == 404

    eventually(no_longer_a_member, timeout=30, interval=0.2, what="the ban to reach publishing")
    response = call(url, "POST", f"/v1/spaces/{space_id}/contents", spammer.token, {"type": "news", "title": "Again"})
    assert response.status_code in (403, 404), response.text
    problem(
        call(url, "POST", sanctions, owner, {"user_id": spammer.id, "kind": "ban", "reason": "x"}),
        409,
        "already-banned",
    )


def test_a_ban_spaces_refuses_is_answered_as_spaces_would_and_not_recorded(platform, place):
    url, owner, space_id, _ = place
    community_id, members_space = surroundings(url, owner, space_id)
    moderator = newcomer(url, community_id, owner, members_space, "Moderator", role="moderator")
    owner_id = ok(call(url, "GET", "/v1/me", owner))["id"]
    sanctions = f"/v1/communities/{community_id}/sanctions"
    before = ok(call(url, "GET", sanctions, owner, params={"limit": 100}))["items"]

    body = {"user_id": owner_id, "kind": "ban", "reason": "Coup."}
    through_sanctions = problem(call(url, "POST", sanctions, moderator.token, body), 403, "owner-not-bannable")
    bans = f"/v1/communities/{community_id}/bans/{owner_id}"
    through_spaces = problem(call(url, "POST", bans, moderator.token, {"reason": "Coup."}), 403, "owner-not-bannable")
    assert through_sanctions["type"] == through_spaces["type"]
    assert ok(call(url, "GET", sanctions, owner, params={"limit": 100}))["items"] == before
