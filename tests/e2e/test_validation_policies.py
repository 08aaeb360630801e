"""Validation per community, space and content type, through the gateway on the real identity,
spaces and publishing processes (docs/spaces.md, "Validation per space and content type").

The charter sets a rule for every type and rules for some types; a space may set its own (for every
type and/or per type) with ``PUT /v1/spaces/{id}/validation``; for an item the nearest rule wins. The
spaces service carries each space's policy in its access snapshots, and publishing applies it from
its read model.
"""

from contextlib import closing

import pytest

from kernel.testing.waiting import eventually
from tests.support.publishing import act, join, known_member, live_community, new_user, publishing_stack, write
from tests.support.records import query, schema_connection
from tests.support.spaces import call, make_user, ok, problem

pytestmark = pytest.mark.e2e

REVIEW = [{"name": "review", "role": "reviewer"}, {"name": "approval", "role": "expert"}]
CHECK = [{"name": "check", "role": "moderator"}]
#: every type is published on submit, but documents pass a reviewer, then an expert
CHARTER = {"mode": "none", "steps": [], "types": {"document": {"mode": "multi_step", "steps": REVIEW}}}


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    with publishing_stack(database_url, amqp_uri, tmp_path_factory.mktemp("validation")) as stack:
        yield stack


@pytest.fixture(scope="module")
def url(platform):
    return platform[0]


@pytest.fixture(scope="module")
def read_model(database_url):
    """An autocommit connection to publishing's schema: its copy of each space's policy."""
    with closing(schema_connection(database_url, "publishing")) as conn:
        yield conn


@pytest.fixture(scope="module")
def community(platform, url):
    """A live interest community with documents, a custom `reviewer` role and the charter above;
    an author, a reviewer, an expert, a moderator and a plain member; and a stranger."""
    _, settings = platform
    owner = make_user(url, "community_creator", settings, name="Owner")[1]
    community_id, spaces = live_community(url, owner, "interest")
    listed = ok(call(url, "GET", f"/v1/communities/{community_id}/roles", owner))["roles"]
    roles = {row["name"]: row["permissions"] for row in listed}
    ok(call(url, "PUT", f"/v1/communities/{community_id}/roles", owner, {"roles": {**roles, "reviewer": ["read"]}}))
    ok(call(url, "PUT", f"/v1/communities/{community_id}/modules", owner, {"modules": ["news", "forum", "documents"]}))
    ok(call(url, "PATCH", f"/v1/communities/{community_id}", owner, {"charter": {"validation": CHARTER}}))
    members = spaces["Members"]["id"]  # secured: its matrix names who reads it
    matrix = ok(call(url, "GET", f"/v1/spaces/{members}", owner))["matrix"]
    body = {"inherit": False, "matrix": {**matrix, "reviewer": ["read"]}}
    ok(call(url, "PUT", f"/v1/spaces/{members}/permissions", owner, body))
    people = {name: new_user(url, name.title()) for name in ("author", "reviewer", "expert", "moderator", "member")}
    for name, person in people.items():
        join(url, community_id, person, owner, None if name in ("author", "member") else name)
        known_member(url, person, spaces["Members"]["id"])
    people["stranger"] = new_user(url, "Stranger")
    return {"id": community_id, "owner": owner, "spaces": spaces, "people": people}


def _policy_known(conn, space_id: str, validation) -> None:
    """Wait until publishing's read model holds the space's policy."""

    def known():
        rows = query(conn, "SELECT validation FROM access_spaces WHERE space_id = %s", (space_id,))
        return bool(rows) and rows[0][0] == validation

    eventually(known, timeout=30, interval=0.1, what=f"publishing to know the policy of space {space_id}")


def _submitted(url: str, token: str, space_id: str, kind: str, title: str) -> dict:
    draft = write(url, token, space_id, type=kind, title=title, body=f"About {title}.")
    return ok(act(url, token, draft["id"], "submit"))


def _queue(url: str, community_id: str, token: str) -> set[str]:
    page = ok(call(url, "GET", f"/v1/communities/{community_id}/moderation-queue", token))
    return {item["id"] for item in page["items"]}


def test_the_charter_rule_for_a_type_applies_to_that_type_only(url, community):
    people, public = community["people"], community["spaces"]["Public"]["id"]
    author, reviewer, expert = people["author"].token, people["reviewer"].token, people["expert"].token

    assert _submitted(url, author, public, "news", "Charter news")["state"] == "published"
    document = _submitted(url, author, public, "document", "Charter document")
    assert (document["state"], document["step"]) == ("in_review", "review")

    # the reviewer holds the first step, only for documents; the expert the second
    assert document["id"] in _queue(url, community["id"], reviewer)
    assert document["id"] not in _queue(url, community["id"], expert)  # not their step yet
    assert ok(act(url, reviewer, document["id"], "approve"))["step"] == "approval"
    assert document["id"] in _queue(url, community["id"], expert)
    assert ok(act(url, expert, document["id"], "approve"))["state"] == "published"


def test_a_space_rule_for_a_type_holds_news_there_and_in_the_sub_spaces_that_follow_it(url, community, read_model):
    people, owner = community["people"], community["owner"]
    members = community["spaces"]["Members"]["id"]
    author, reviewer, moderator = people["author"].token, people["reviewer"].token, people["moderator"].token
    own = {"types": {"news": {"mode": "pre_moderation", "steps": CHECK}}}

    space = ok(call(url, "PUT", f"/v1/spaces/{members}/validation", owner, {"inherit": False, **own}))
    assert space["validation"] == {"types": own["types"]}
    _policy_known(read_model, members, {"types": own["types"]})
    child = ok(
        call(
            url,
            "POST",
            f"/v1/communities/{community['id']}/spaces",
            owner,
            {"name": "Working group", "visibility": "members", "parent_id": members},
        ),
        201,
    )
    assert child["validation"] is None

    held = _submitted(url, author, members, "news", "Held news")
    assert held["state"] == "submitted"
    assert _submitted(url, author, members, "topic", "Free topic")["state"] == "published"  # the charter's none
    in_child = _submitted(url, author, child["id"], "news", "Held in the child")
    assert in_child["state"] == "submitted"  # the child follows its parent

    # waiting news is for who approves news there: the moderator, not the documents' reviewer
    assert {held["id"], in_child["id"]} <= _queue(url, community["id"], moderator)
    assert not {held["id"], in_child["id"]} & _queue(url, community["id"], reviewer)
    problem(call(url, "GET", f"/v1/contents/{held['id']}", reviewer), 404)
    assert ok(act(url, moderator, held["id"], "approve"))["state"] == "published"

    # the child's own mode wins over its parent's rule for news
    ok(call(url, "PUT", f"/v1/spaces/{child['id']}/validation", owner, {"inherit": False, "mode": "none"}))
    _policy_known(read_model, child["id"], {"types": {}, "mode": "none", "steps": []})
    assert _submitted(url, author, child["id"], "news", "Free in the child")["state"] == "published"

    # back to the charter; the change log has both changes
    again = ok(call(url, "PUT", f"/v1/spaces/{members}/validation", owner, {"inherit": True}))
    assert again["validation"] is None
    _policy_known(read_model, members, None)
    assert _submitted(url, author, members, "news", "Free again")["state"] == "published"
    changes = ok(call(url, "GET", f"/v1/communities/{community['id']}/changes", owner, params={"limit": 100}))
    settings = [change["setting"] for change in changes["items"]]
    assert settings.count("space.validation") == 3


def test_who_may_not_set_a_space_policy_and_bad_policies_change_nothing(url, community):
    people, owner = community["people"], community["owner"]
    public = community["spaces"]["Public"]["id"]
    path = f"/v1/spaces/{public}/validation"
    body = {"inherit": False, "mode": "pre_moderation", "steps": CHECK}
    before = ok(call(url, "GET", f"/v1/spaces/{public}", owner))

    problem(call(url, "PUT", path, None, body), 401)
    problem(call(url, "PUT", path, people["member"].token, body), 403)
    problem(call(url, "PUT", path, people["moderator"].token, body), 403)  # moderate is not configure
    problem(call(url, "PUT", path, people["stranger"].token, body), 403)  # a public space: seen, not theirs
    problem(call(url, "PUT", "/v1/spaces/00000000-0000-4000-8000-000000000000/validation", owner, body), 404)
    bad = [
        {},
        {"inherit": False},  # neither a mode nor rules per type
        {"inherit": True, "mode": "none"},  # inherits and has a rule
        {"inherit": False, "mode": "pre_moderation"},  # no step
        {"inherit": False, "mode": "none", "steps": CHECK},  # steps without validation
        {"inherit": False, "mode": "by-lottery"},
        {"inherit": False, "mode": "multi_step", "steps": [{"name": "x", "role": "pope"}]},  # not a role
        {"inherit": False, "types": {"poem": {"mode": "none"}}},  # not a content type
        {"inherit": False, "types": {"News!": {"mode": "none"}}},
        {"inherit": False, "types": ["news"]},
        {"inherit": False, "types": {"news": "none"}},
        {"inherit": "yes", "mode": "none"},
        {"inherit": False, "mode": "none", "colour": "red"},
        [],
    ]
    for junk in bad:
        response = call(url, "PUT", path, owner, junk)
        assert response.status_code in (400, 422), (junk, response.status_code, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
    assert ok(call(url, "GET", f"/v1/spaces/{public}", owner)) == before
