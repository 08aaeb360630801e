"""Moderation through the gateway, with the real identity, spaces and publishing processes: five
readers' reports hide a post from the feed, and a space in crisis mode holds new posts for
pre-moderation."""

from __future__ import annotations

import pytest

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
