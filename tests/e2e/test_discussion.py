"""Comments, reactions and answers through the gateway, with the real identity, spaces and publishing
processes: a verified expert's answer is marked and accepted, a stranger cannot comment, and a script
in a comment never reaches a reader."""

from __future__ import annotations

import pytest

from tests.support.publishing import (
    MarkupCensus,
    act,
    join,
    known_member,
    live_community,
    new_user,
    publishing_stack,
    write,
)
from tests.support.spaces import admin_token, call, make_user, ok, problem

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    with publishing_stack(database_url, amqp_uri, tmp_path_factory.mktemp("discussion")) as stack:
        yield stack


@pytest.fixture(scope="module")
def url(platform):
    return platform[0]


@pytest.fixture(scope="module")
def qa(platform, url):
    """A live interest community with the qa module: an asker, a verified expert (granted by an
    admin, so their token claims it), a member, and a stranger who never joined."""
    _, settings = platform
    owner = make_user(url, "community_creator", settings, name="Owner")[1]
    community_id, spaces = live_community(url, owner, "interest")
    ok(call(url, "PUT", f"/v1/communities/{community_id}/modules", owner, {"modules": ["news", "forum", "qa"]}))
    people = {name: new_user(url, name.title()) for name in ("asker", "expert", "member", "stranger")}
    granted = call(
        url, "PUT", f"/v1/users/{people['expert'].id}/expert", admin_token(url, settings), {"fields": ["GIS"]}
    )
    ok(granted)
    people["expert"].log_in_again(url)
    for name in ("asker", "expert", "member"):
        join(url, community_id, people[name], owner)
        known_member(url, people[name], spaces["Members"]["id"])
    return spaces["Public"]["id"], people


def published(url, token, space_id, **body) -> dict:
    item = write(url, token, space_id, **body)
    return ok(act(url, token, item["id"], "submit"))


def test_a_verified_experts_answer_is_marked_and_accepted_by_the_asker(url, qa):
    space_id, people = qa
    question = published(url, people["asker"].token, space_id, type="question", title="Which CRS?", body="For maps.")
    path = f"/v1/contents/{question['id']}/answers"
    by_expert = ok(call(url, "POST", path, people["expert"].token, {"body": "EPSG:2154."}), 201)
    plain = ok(call(url, "POST", path, people["member"].token, {"body": "WGS84?"}), 201)
    assert (by_expert["by_expert"], plain["by_expert"], by_expert["parent_id"]) == (True, False, question["id"])
    for answer, person in ((by_expert, "expert"), (plain, "member")):
        ok(act(url, people[person].token, answer["id"], "submit"))

    problem(call(url, "POST", f"/v1/answers/{by_expert['id']}/accept", people["member"].token), 403)
    accepted = ok(call(url, "POST", f"/v1/answers/{by_expert['id']}/accept", people["asker"].token))
    assert accepted["accepted_answer_id"] == by_expert["id"]
    seen = ok(call(url, "GET", f"/v1/contents/{question['id']}", None))
    assert seen["accepted_answer_id"] == by_expert["id"]
    assert ok(call(url, "GET", f"/v1/contents/{by_expert['id']}", None))["by_expert"] is True


def test_a_stranger_cannot_comment_and_reactions_are_counted_once(url, qa):
    space_id, people = qa
    item = published(url, people["asker"].token, space_id, type="news", title="Field day", body="Nine.")
    comments = f"/v1/contents/{item['id']}/comments"
    response = call(url, "POST", comments, people["stranger"].token, {"body": "Let me in"})
    assert response.status_code in (403, 404), response.text
    problem(call(url, "POST", comments, None, {"body": "Anonymous"}), 401)

    first = ok(call(url, "POST", comments, people["member"].token, {"body": "See you"}), 201)
    reply = ok(call(url, "POST", comments, people["asker"].token, {"body": "Yes", "parent_id": first["id"]}), 201)
    problem(call(url, "POST", comments, people["member"].token, {"body": "Deeper", "parent_id": reply["id"]}), 422)
    listed = ok(call(url, "GET", comments, None, params={"limit": 10}))
    assert [c["id"] for c in listed["items"]] == [first["id"], reply["id"]]

    reactions = f"/v1/contents/{item['id']}/reactions"
    for _ in range(2):
        counted = ok(call(url, "POST", reactions, people["member"].token, {"reaction": "thanks"}))
    assert (counted["reactions"], counted["mine"]) == ({"thanks": 1}, ["thanks"])
    seen = ok(call(url, "GET", f"/v1/contents/{item['id']}", None))
    assert (seen["reactions"], seen["comments_count"]) == ({"thanks": 1}, 2)


def test_a_script_in_a_comment_is_neutralized(url, qa):
    space_id, people = qa
    item = published(url, people["asker"].token, space_id, type="news", title="Safe", body="Text.")
    body = '<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror="alert(3)">'
    comment = ok(call(url, "POST", f"/v1/contents/{item['id']}/comments", people["member"].token, {"body": body}), 201)
    assert comment["body"] == body
    census = MarkupCensus(comment["body_html"])
    assert not {"script", "img"} & set(census.tags)
    assert not [value for name, value in census.attributes if name.startswith("on") or "javascript" in value]
