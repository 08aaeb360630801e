"""Search through the gateway, against the real identity, spaces and publishing processes: a published
news item is found (by anyone who reads it), one waiting for pre-moderation is not, a confidential
one is not for a non-member; and a bad query string is a 400 problem."""

import uuid

import pytest

from tests.support.publishing import act, join, known_member, live_community, new_user, publishing_stack, write
from tests.support.spaces import call, make_user, ok, problem

pytestmark = pytest.mark.e2e

PRE_MODERATION = {"mode": "pre_moderation", "steps": [{"name": "review", "role": "moderator"}]}


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    with publishing_stack(database_url, amqp_uri, tmp_path_factory.mktemp("search")) as stack:
        yield stack


@pytest.fixture(scope="module")
def url(platform):
    return platform[0]


@pytest.fixture(scope="module")
def owner(platform):
    url, settings = platform
    return make_user(url, "community_creator", settings, name="Owner")[1]


def word() -> str:
    return "zq" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])


def found(url: str, token: str | None, q: str, **params) -> set[str]:
    page = ok(call(url, "GET", "/v1/search", token, params={"q": q, "limit": 100, **params}))
    return {hit["content_id"] for hit in page["items"]}


def test_published_items_are_found_and_others_are_not(url, owner):
    community_id, spaces = live_community(url, owner, "interest", {"validation": PRE_MODERATION})
    public = spaces["Public"]["id"]
    author, stranger = new_user(url, "Author"), new_user(url, "Stranger")
    join(url, community_id, author, owner)
    known_member(url, author, spaces["Members"]["id"])
    term = word()

    approved = write(url, author.token, public, type="news", title=f"Fair {term}", body="Come <b>all</b>.")
    ok(act(url, author.token, approved["id"], "submit"))
    assert ok(act(url, owner, approved["id"], "approve"))["state"] == "published"
    waiting = write(url, author.token, public, type="news", title=f"Pending {term}", body=term)
    assert ok(act(url, author.token, waiting["id"], "submit"))["state"] == "submitted"
    secret = write(url, owner, public, type="news", title=f"Secret {term}", body=term, knowledge_level="confidential")
    ok(act(url, owner, secret["id"], "submit"))
    assert ok(act(url, owner, secret["id"], "approve"))["state"] == "published"

    assert found(url, None, term) == {approved["id"]}
    assert found(url, stranger.token, term) == {approved["id"]}
    assert found(url, stranger.token, term, community_id=community_id) == {approved["id"]}
    assert found(url, author.token, term) == {approved["id"], secret["id"]}
    assert found(url, author.token, term, space_id=public, type="news") == {approved["id"], secret["id"]}

    page = ok(call(url, "GET", "/v1/search", None, params={"q": term}))
    hit = page["items"][0]
    assert (hit["content_id"], hit["title"], hit["community_id"]) == (approved["id"], f"Fair {term}", community_id)
    assert "<b>" not in hit["snippet"]
    assert page["next_cursor"] is None


def test_a_bad_query_string_is_a_400_problem(url):
    problem(call(url, "GET", "/v1/search", None, params={"q": ""}), 400)
    problem(call(url, "GET", "/v1/search", None, params={"q": "bees", "unknown": "1"}), 400)
    problem(call(url, "GET", "/v1/search"), 400)
