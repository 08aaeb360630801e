"""Helpers of the end-to-end tests of content: a stack of real identity, spaces, publishing and gateway
processes, communities ready to publish in, users who join them, and waiting for publishing to learn
what spaces decided.

Publishing keeps its own read model of communities, spaces and members from the spaces service's
events (``kernel.access.readmodel``): a community, space or membership just made reaches it a moment
later. Until then publishing answers as for a stranger (403, or 404 for what they may not see), so a
first call that depends on it is repeated while it answers so (``until_known``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser

import requests

from kernel.testing.waiting import eventually
from tests.support.accounts import bearer, log_in, register
from tests.support.spaces import TIMEOUT, call, launch, ok, spaces_stack, wait_known

SERVICES = ("identity", "spaces", "publishing")
#: what publishing answers a caller it does not know (yet) to be a member, in a space it may not know yet
NOT_YET = (403, 404)


@contextmanager
def publishing_stack(database_url: str, amqp_uri: str, log_dir) -> Iterator[tuple[str, object]]:
    """Real identity, spaces, publishing and gateway processes: ``(gateway url, settings)``."""
    with spaces_stack(database_url, amqp_uri, log_dir, services=SERVICES) as stack:
        yield stack


@dataclass
class User:
    """A registered user; ``token`` is refreshed with ``log_in_again`` (new claims: role, affiliation)."""

    id: str
    email: str
    token: str

    def log_in_again(self, url: str) -> User:
        self.token = access_token(url, self.email)
        return self


def access_token(url: str, email: str) -> str:
    return ok(log_in(url, email))["access_token"]


def new_user(url: str, name: str) -> User:
    email, created = register(url, name=name)
    return User(ok(created, 201)["id"], email, access_token(url, email))


def until_known(attempt: Callable[[], requests.Response], what: str, retry_on=NOT_YET) -> requests.Response:
    """Repeat ``attempt()`` while it answers one of ``retry_on`` (publishing has not learnt yet what
    spaces did); the first other answer is returned, for the caller to check."""
    answers: list[requests.Response] = []

    def answered():
        answers.append(attempt())
        return answers[-1].status_code not in retry_on

    eventually(answered, timeout=30, interval=0.2, what=what)
    return answers[-1]


def live_community(url: str, owner: str, kind: str, charter: dict | None = None) -> tuple[str, dict[str, dict]]:
    """A community of ``kind`` with ``charter`` settings, taken live: ``(id, its spaces by name)``."""
    body = {"name": f"{kind.title()} {uuid.uuid4().hex[:8]}", "kind": kind}
    community_id = ok(call(url, "POST", "/v1/communities", owner, body), 201)["id"]
    if charter:
        ok(call(url, "PATCH", f"/v1/communities/{community_id}", owner, {"charter": charter}))
    launch(url, owner, community_id)
    spaces = ok(call(url, "GET", f"/v1/communities/{community_id}/spaces", owner, params={"limit": 100}))["items"]
    return community_id, {space["name"]: space for space in spaces}


def join(url: str, community_id: str, user: User, owner: str, role: str | None = None) -> None:
    """``user`` joins an open community, then gets ``role`` from its owner (a member by default)."""
    assert ok(call(url, "POST", f"/v1/communities/{community_id}/join", user.token, {}))["status"] == "member"
    if role is not None:
        path = f"/v1/communities/{community_id}/members/{user.id}"
        ok(call(url, "PUT", path, owner, {"role": role}))


def invite(url: str, community_id: str, user: User, owner: str, role: str) -> None:
    """``user`` becomes a member with ``role`` by an invitation meant for them (invitation-only communities)."""
    path = f"/v1/communities/{community_id}/invitations"
    invitation = ok(wait_known(lambda: call(url, "POST", path, owner, {"role": role, "user_id": user.id})), 201)
    ok(call(url, "POST", f"/v1/invitations/{invitation['token']}/accept", user.token))


def known_member(url: str, user: User, members_space_id: str) -> None:
    """Wait until publishing knows ``user`` as a member: then it shows them the feed of a space only
    members see (``members_space_id``), which is a 404 to whoever it does not know as one."""
    path = f"/v1/spaces/{members_space_id}/feed"
    ok(until_known(lambda: call(url, "GET", path, user.token), f"publishing to know {user.email} as a member"))


def write(url: str, token: str, space_id: str, **body) -> dict:
    """A new item (201), once publishing knows the space and the author's membership."""
    response = until_known(
        lambda: call(url, "POST", f"/v1/spaces/{space_id}/contents", token, body), "publishing to know the author"
    )
    return ok(response, 201)


def act(url: str, token: str, content_id: str, action: str, body=None) -> requests.Response:
    """``POST /v1/contents/{id}/{action}``."""
    return call(url, "POST", f"/v1/contents/{content_id}/{action}", token, body)


def ids(page: dict) -> set[str]:
    return {item["id"] for item in page["items"]}


def feed_ids(url: str, path: str, token: str | None) -> set[str]:
    """The ids on the first 100 items of a feed (``/v1/spaces/{id}/feed``, ...)."""
    return ids(ok(call(url, "GET", path, token, params={"limit": 100})))


class MarkupCensus(HTMLParser):
    """The elements and attributes of an HTML fragment, as a browser's parser would see them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)

    handle_startendtag = handle_starttag


def save(url: str, token: str | None, content_id: str, changes: dict, if_match: str | None = None):
    """``PATCH /v1/contents/{id}``, with ``If-Match`` when given."""
    headers = bearer(token) if token else {}
    if if_match is not None:
        headers["If-Match"] = if_match
    return requests.patch(f"{url}/v1/contents/{content_id}", json=changes, headers=headers, timeout=TIMEOUT)
