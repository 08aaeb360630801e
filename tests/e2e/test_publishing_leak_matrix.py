"""The leak matrix of content, through the real gateway: every kind of reader crossed with every
space visibility and every knowledge level, and the same answer on every read path — the item itself,
the space's, community's and personal feeds, search (with and without filters, snippets included),
the counts an item's view shows, its comments, the moderation queue, the writes that would reveal it —
and no event of the outbox carrying a body, a comment or a confidential title.

One live interest community (open, pre-moderation, one organization of its own) with a public, a
registered, a members and a secured space; in each, a news item, a forum topic (with a comment) and a
reply to it at each knowledge level, plus unpublished items (drafts, submitted), an archived one and
two hidden by reports (with comments). Every text carries words of its own, so what leaks is found
by looking for them in every answer.

The expected table is written out by hand from docs/publishing.md ("Knowledge levels") and
docs/spaces.md (who reads which space: see ``test_space_access_matrix``), not computed by the code
under test.
"""

from __future__ import annotations

import json
import re
import uuid
from contextlib import closing
from dataclasses import dataclass, field

import pytest

from kernel.testing.waiting import eventually
from tests.support.publishing import act, join, known_member, live_community, new_user, publishing_stack, write
from tests.support.records import events, query, schema_connection
from tests.support.spaces import call, make_user, ok

pytestmark = pytest.mark.e2e

PRE_MODERATION = {"mode": "pre_moderation", "steps": [{"name": "review", "role": "moderator"}]}
SECURED_GRANTS = {"manager": ["read", "configure", "moderate"], "moderator": ["read", "moderate"]}
SPACES = ("public", "registered", "members", "secured")
LEVELS = {"public": "P", "extended": "E", "confidential": "C"}
SIGNED_IN = ("owner", "member", "guest", "employee", "customer", "partner", "non-member", "banned")
SUBJECTS = (*SIGNED_IN, "anonymous")
MEMBERS = ("owner", "member", "guest")  # of the community: /v1/me/feed shows them its items

#: subject -> space -> the knowledge levels of the published items they read there ("" : the space
#: itself does not exist for them). Spaces (docs/spaces.md): a members space is for members, a
#: secured space for the roles it grants (the owner here), a registered one for the signed-in who are
#: not banned. Levels (docs/publishing.md): extended for the employees and partners of the
#: community's organizations, or whoever reads confidential items; confidential for members whose role
#: in the space reads (a guest's does).
EXPECTED = {
    #               public  registered  members  secured
    "owner": dict(zip(SPACES, ("PEC", "PEC", "PEC", "PEC"), strict=True)),
    "member": dict(zip(SPACES, ("PEC", "PEC", "PEC", ""), strict=True)),
    "guest": dict(zip(SPACES, ("PEC", "PEC", "PEC", ""), strict=True)),
    # not members: an employee of the community's organization, a customer of it, a partner of another
    "employee": dict(zip(SPACES, ("PE", "PE", "", ""), strict=True)),
    "customer": dict(zip(SPACES, ("P", "P", "", ""), strict=True)),
    "partner": dict(zip(SPACES, ("P", "P", "", ""), strict=True)),
    "non-member": dict(zip(SPACES, ("P", "P", "", ""), strict=True)),
    "banned": dict(zip(SPACES, ("P", "", "", ""), strict=True)),  # was a member
    "anonymous": dict(zip(SPACES, ("P", "", "", ""), strict=True)),
}
#: unpublished items (all at the public level): who reads them — their author, and who approves
#: in the space (not a draft): the owner holds ``moderate`` everywhere
UNPUBLISHED = {
    # (space, author, state): readers
    ("public", "owner", "draft"): {"owner"},
    ("public", "owner", "submitted"): {"owner"},
    ("members", "owner", "draft"): {"owner"},
    ("members", "owner", "submitted"): {"owner"},
    ("members", "member", "draft"): {"member"},
    ("members", "member", "submitted"): {"member", "owner"},
    ("secured", "owner", "submitted"): {"owner"},
}


WORD = re.compile(r"zq[a-p]{12}")  #: the words of this module's texts (``word()``)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def word() -> str:
    return "zq" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:12])


COMMON = word()  # in every body: one search finds every item one reads


@dataclass
class Item:
    key: str
    id: str
    space: str
    level: str
    type: str
    state: str
    title_word: str | None
    body_word: str
    readers: set[str]
    comments: list[tuple[str, str]] = field(default_factory=list)  # (id, word)
    reactions: dict[str, int] = field(default_factory=dict)
    revisions: int = 1
    hidden: bool = False  #: hidden by reports: out of feeds and search, kept for moderators

    @property
    def published(self) -> bool:
        """In the feeds and search of its readers."""
        return self.state == "published" and not self.hidden

    @property
    def words(self) -> list[str]:
        return [w for w in (self.title_word, self.body_word) if w] + [w for _, w in self.comments]


@dataclass
class World:
    url: str
    community_id: str
    spaces: dict[str, str]
    tokens: dict[str, str | None]
    items: list[Item]

    def readable(self, subject: str, published_only: bool = True, space: str | None = None) -> set[str]:
        return {
            item.id
            for item in self.items
            if subject in item.readers
            and (item.published or not published_only)
            and (space is None or item.space == space)
        }

    @property
    def all_ids(self) -> set[str]:
        return {item.id for item in self.items}


def published_readers(space: str, level: str) -> set[str]:
    return {subject for subject in SUBJECTS if LEVELS[level] in EXPECTED[subject][space]}


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    with publishing_stack(database_url, amqp_uri, tmp_path_factory.mktemp("leaks")) as stack:
        yield stack


@pytest.fixture(scope="module")
def world(platform) -> World:
    url, settings = platform
    admin = make_user(url, "admin", settings, name="Admin")[1]
    owner = make_user(url, "community_creator", settings, name="Owner")[1]
    ours = ok(call(url, "POST", "/v1/organizations", admin, {"name": f"Ours {uuid.uuid4().hex[:8]}"}), 201)["id"]
    other = ok(call(url, "POST", "/v1/organizations", admin, {"name": f"Other {uuid.uuid4().hex[:8]}"}), 201)["id"]
    people = {name: new_user(url, name.title()) for name in SIGNED_IN if name != "owner"}
    for name, organization, affiliation in (
        ("employee", ours, "employee"),
        ("customer", ours, "customer"),
        ("partner", other, "partner"),
    ):
        body = {"user_id": people[name].id, "affiliation": affiliation}
        ok(call(url, "POST", f"/v1/organizations/{organization}/members", admin, body), 201)
        people[name].log_in_again(url)  # the token claims the affiliation (aff, org)

    charter = {"access_mode": "open", "organizations": [ours], "validation": PRE_MODERATION}
    community_id, _ = live_community(url, owner, "interest", charter)
    spaces = {}
    for visibility in SPACES:
        body = {"name": f"{visibility} room", "visibility": visibility}
        if visibility == "secured":
            body["matrix"] = SECURED_GRANTS
        spaces[visibility] = ok(call(url, "POST", f"/v1/communities/{community_id}/spaces", owner, body), 201)["id"]
    join(url, community_id, people["member"], owner)
    join(url, community_id, people["guest"], owner, role="guest")
    join(url, community_id, people["banned"], owner)
    for name in ("member", "guest", "banned"):
        known_member(url, people[name], spaces["members"])
    ban = call(url, "POST", f"/v1/communities/{community_id}/bans/{people['banned'].id}", owner, {"reason": "spam"})
    ok(ban)
    members_feed = f"/v1/spaces/{spaces['members']}/feed"
    eventually(
        lambda: call(url, "GET", members_feed, people["banned"].token).status_code == 404,
        timeout=30,
        interval=0.2,
        what="publishing to learn of the ban",
    )
    tokens: dict[str, str | None] = {"owner": owner, "anonymous": None}
    tokens.update({name: person.token for name, person in people.items()})

    items: list[Item] = []

    def published(space: str, level: str, kind: str, **body) -> Item:
        title_word, body_word = (None if kind == "reply" else word()), word()
        data = {"type": kind, "body": f"Some words: {body_word} and {COMMON}.", **body}
        if title_word:
            data["title"] = f"{kind.title()} {title_word}"
        if kind != "reply":
            data["knowledge_level"] = level
        draft = write(url, owner, spaces[space], **data)
        assert ok(act(url, owner, draft["id"], "submit"))["state"] == "submitted"
        assert ok(act(url, owner, draft["id"], "approve"))["state"] == "published"
        item = Item(
            f"{space}/{level}/{kind}",
            draft["id"],
            space,
            level,
            kind,
            "published",
            title_word,
            body_word,
            published_readers(space, level),
        )
        items.append(item)
        return item

    def comment(item: Item, token: str, parent_id: str | None = None) -> str:
        text = word()
        body = {"body": f"A comment: {text}", **({"parent_id": parent_id} if parent_id else {})}
        made = ok(call(url, "POST", f"/v1/contents/{item.id}/comments", token, body), 201)
        item.comments.append((made["id"], text))
        return made["id"]

    for space in SPACES:
        for level in LEVELS:
            news = published(space, level, "news")
            comment(news, owner)
            ok(call(url, "POST", f"/v1/contents/{news.id}/reactions", owner, {"reaction": "like"}))
            news.reactions = {"like": 1}
            topic = published(space, level, "topic")
            first = comment(topic, owner)
            if space == "public":
                comment(topic, people["member"].token, first)
            published(space, level, "reply", parent_id=topic.id)
            if level == "confidential":  # a new revision: content.updated
                changed = {"title": f"Renamed {news.title_word}", "body": f"Now: {news.body_word} and {COMMON}."}
                ok(call(url, "PATCH", f"/v1/contents/{news.id}", owner, changed))
                news.revisions = 2
                # a child is never more widely readable than its parent
                wider = {"type": "reply", "parent_id": topic.id, "body": "Out", "knowledge_level": "public"}
                assert call(url, "POST", f"/v1/spaces/{spaces[space]}/contents", owner, wider).status_code == 422

    for (space, author, state), readers in UNPUBLISHED.items():
        token = tokens[author]
        title_word, body_word = word(), word()
        body = {"type": "news", "title": f"Waiting {title_word}", "body": f"Unsaid {body_word} {COMMON}"}
        draft = write(url, token, spaces[space], **body, knowledge_level="public")
        if state == "submitted":
            assert ok(act(url, token, draft["id"], "submit"))["state"] == "submitted"
        items.append(
            Item(
                f"{space}/{author}/{state}",
                draft["id"],
                space,
                "public",
                "news",
                state,
                title_word,
                body_word,
                set(readers),
            )
        )
    # published once, then archived by its author; or hidden by reports: only the owner reads them now
    ok(call(url, "PUT", f"/v1/communities/{community_id}/moderation-settings", owner, {"report_threshold": 1}))
    for space, fate in (("public", "archived"), ("public", "hidden"), ("members", "hidden")):
        item = published(space, "public", "news")
        comment(item, people["member"].token)
        item.key, item.readers = f"{space}/public/{fate}", {"owner"}
        if fate == "archived":
            assert ok(act(url, owner, item.id, "archive"))["state"] == "archived"
            item.state = "archived"
        else:
            report = {"reason": "Not for all eyes", "category": "other"}
            assert call(url, "POST", f"/v1/contents/{item.id}/reports", people["member"].token, report).ok
            item.hidden = True
            gone = call(url, "GET", f"/v1/contents/{item.id}", people["member"].token)
            assert gone.status_code == 404, gone.text
    return World(url, community_id, spaces, tokens, items)


class Seen:
    """Every answer one subject got, to look for what they must not see."""

    def __init__(self, world: World, subject: str):
        self.world, self.subject, self.token = world, subject, world.tokens[subject]
        self.texts: list[tuple[str, int, str]] = []

    def call(self, method: str, path: str, body=None, params=None):
        response = call(self.world.url, method, path, self.token, body, params)
        self.texts.append((f"{method} {path} {params or ''}", response.status_code, response.text))
        return response

    def many(self, requests_: list[tuple]) -> list:
        """Answers to ``(method, path, body, params)`` requests, in order."""
        return [self.call(*request) for request in requests_]


def batches(items: list[Item], words_of, room: int = 200) -> list[list[Item]]:
    """``items`` in groups whose words, joined with " or ", fit in a query string of ``room``."""
    groups: list[list[Item]] = [[]]
    length = 0
    for item in items:
        size = sum(len(w) + 4 for w in words_of(item))
        if groups[-1] and length + size > room:
            groups.append([])
            length = 0
        groups[-1].append(item)
        length += size
    return groups


def page_ids(response) -> set[str]:
    return {item["id"] for item in ok(response)["items"]}


def hits(response) -> dict[str, dict]:
    return {hit["content_id"]: hit for hit in ok(response)["items"]}


@pytest.mark.parametrize("subject", SUBJECTS)
def test_each_subject_reads_exactly_what_the_matrix_says_on_every_path(world, subject):
    seen = Seen(world, subject)
    signed_in = subject != "anonymous"
    ours = world.all_ids
    checked = 0

    # -- the item, its counts and its comments ------------------------------------------------------
    answers = seen.many([("GET", f"/v1/contents/{item.id}", None, None) for item in world.items])
    for item, response in zip(world.items, answers, strict=True):
        where = (subject, item.key)
        if subject in item.readers:
            got = ok(response)
            assert (got["id"], got["knowledge_level"], got["state"]) == (item.id, item.level, item.state), where
            assert item.body_word in got["body"], where
            if item.published:
                assert got["comments_count"] == len(item.comments), where
                assert got["reactions"] == item.reactions, where
        else:
            assert response.status_code == 404, (where, response.status_code, response.text)
            assert response.headers["Content-Type"] == "application/problem+json", where
        checked += 1

    discussed = [item for item in world.items if item.comments]
    answers = seen.many([("GET", f"/v1/contents/{item.id}/comments", None, {"limit": 100}) for item in discussed])
    for item, response in zip(discussed, answers, strict=True):
        if subject in item.readers and not item.published:  # kept for moderators: their comments may be too
            assert response.status_code in (200, 404), (subject, item.key, response.text)
        elif subject in item.readers:
            assert [c["id"] for c in ok(response)["items"]] == [c for c, _ in item.comments], (subject, item.key)
        else:
            assert response.status_code == 404, (subject, item.key, response.text)
        checked += 1

    # -- what would reveal an unreadable item to whoever tries to act on it: 404, never 403 ---------------
    if signed_in:
        attempts, about = [], []
        for item in world.items:
            if subject in item.readers or item.type == "reply":
                continue
            base = f"/v1/contents/{item.id}"
            tries = [("POST", base + "/comments", {"body": "Is anyone there?"}, None)]
            if item.type == "news":
                tries += [
                    ("POST", base + "/reactions", {"reaction": "like"}, None),
                    ("GET", base + "/revisions", None, None),
                    ("POST", base + "/reports", {"reason": "Probing", "category": "other"}, None),
                    ("PATCH", base, {"title": "Probed"}, None),
                ]
            if item.state in ("draft", "submitted"):
                tries.append(("POST", base + ("/submit" if item.state == "draft" else "/approve"), None, None))
            if item.revisions > 1:
                tries.append(("GET", base + "/diff", None, {"from": 1, "to": item.revisions}))
            attempts += tries
            about += [item] * len(tries)
        for item, attempt, response in zip(about, attempts, seen.many(attempts), strict=True):
            assert response.status_code == 404, (subject, item.key, attempt[:2], response.status_code, response.text)

    # -- feeds --------------------------------------------------------------------------------------------
    feeds = [("GET", f"/v1/spaces/{world.spaces[space]}/feed", None, {"limit": 100}) for space in SPACES]
    feeds.append(("GET", f"/v1/communities/{world.community_id}/feed", None, {"limit": 100}))
    feeds.append(("GET", "/v1/me/feed", None, {"limit": 100}))
    answers = seen.many(feeds)
    for space, response in zip(SPACES, answers, strict=False):
        if EXPECTED[subject][space]:
            assert page_ids(response) & ours == world.readable(subject, space=space), (subject, space)
        else:
            assert response.status_code == 404, (subject, space, response.text)
        checked += len([item for item in world.items if item.space == space])
    assert page_ids(answers[-2]) & ours == world.readable(subject), (subject, "community feed")
    if signed_in:
        mine = world.readable(subject) if subject in MEMBERS else set()
        assert page_ids(answers[-1]) & ours == mine, (subject, "my feed")
    else:
        assert answers[-1].status_code == 401
    checked += 2 * len(world.items)

    # -- search: everything, by community, by space, item by item; snippets --------------------------------
    searches = [
        ("GET", "/v1/search", None, {"q": COMMON, "limit": 100}),
        ("GET", "/v1/search", None, {"q": COMMON, "limit": 100, "community_id": world.community_id}),
        *[("GET", "/v1/search", None, {"q": COMMON, "limit": 100, "space_id": world.spaces[s]}) for s in SPACES],
    ]
    answers = seen.many(searches)
    assert set(hits(answers[0])) & ours == world.readable(subject), (subject, "search")
    assert set(hits(answers[1])) == world.readable(subject), (subject, "search in the community")
    for space, response in zip(SPACES, answers[2:], strict=True):
        assert set(hits(response)) == world.readable(subject, space=space), (subject, "search in", space)
    checked += 3 * len(world.items)

    # by type, and page by page (keyset cursors): the same items, each once
    topics = {item.id for item in world.items if item.type == "topic"} & world.readable(subject)
    by_type = seen.call("GET", "/v1/search", params={"q": COMMON, "limit": 100, "type": "topic"})
    assert set(hits(by_type)) & ours == topics, (subject, "search by type")
    for path in ("/v1/search", f"/v1/communities/{world.community_id}/feed"):
        walked: list[str] = []
        params = {"q": COMMON, "limit": 7} if path == "/v1/search" else {"limit": 7}
        while True:
            page = ok(seen.call("GET", path, params=params))
            walked += [entry.get("content_id") or entry["id"] for entry in page["items"]]
            if not page["next_cursor"]:
                break
            params = {**params, "cursor": page["next_cursor"]}
        assert len(walked) == len(set(walked)), (subject, path, "twice")
        assert set(walked) & ours == world.readable(subject), (subject, path, "page by page")

    # item by item, a few items a query ("w1 or w2 or ..."): exactly the readable published ones match
    for batch in batches(world.items, lambda item: [w for w in (item.title_word, item.body_word) if w]):
        words = [w for item in batch for w in (item.title_word, item.body_word) if w]
        found = hits(seen.call("GET", "/v1/search", params={"q": " or ".join(words), "limit": 100}))
        expected = {item.id for item in batch if item.published and subject in item.readers}
        assert set(found) == expected, (subject, [item.key for item in batch], "search")
        for item in batch:
            if item.id in expected:  # its snippet: its own body, marked
                assert f"<mark>{item.body_word}</mark>" in found[item.id]["snippet"], (subject, item.key)
            checked += 1
    # comments are not searched: their words find no item one does not read
    for batch in batches(discussed, lambda item: [w for _, w in item.comments]):
        q = " or ".join(w for item in batch for _, w in item.comments)
        found = hits(seen.call("GET", "/v1/search", params={"q": q, "limit": 100}))
        assert not set(found) - world.readable(subject), (subject, "a comment's words")

    # -- the moderation queue ------------------------------------------------------------------------------
    queue = seen.call("GET", f"/v1/communities/{world.community_id}/moderation-queue", params={"limit": 100})
    if subject == "owner":
        waiting = {item.id for item in world.items if item.state == "submitted"}
        assert page_ids(queue) & ours == waiting
    elif signed_in:
        assert queue.status_code in (200, 403, 404), queue.text
        if queue.status_code == 200:
            assert not page_ids(queue) & ours, subject
    else:
        assert queue.status_code == 401

    # -- and nothing of an unreadable item anywhere in any answer -----------------------------------------
    forbidden_words = {w: item.key for item in world.items if subject not in item.readers for w in item.words}
    forbidden_ids = {item.id: item.key for item in world.items if subject not in item.readers}
    for comment_item in discussed:  # comment ids too
        if subject not in comment_item.readers:
            forbidden_ids.update({c: comment_item.key for c, _ in comment_item.comments})
    for request, status, text in seen.texts:
        leaked = [(w, forbidden_words[w]) for w in set(WORD.findall(text)) & set(forbidden_words)]
        assert not leaked, (subject, request, leaked, text[:500])
        if status < 400:  # a problem may name the path it was asked about
            leaked = [(i, forbidden_ids[i]) for i in set(UUID.findall(text.lower())) & set(forbidden_ids)]
            assert not leaked, (subject, request, leaked, text[:500])
    assert checked


@pytest.fixture
def outbox(database_url):
    with closing(schema_connection(database_url, "publishing")) as conn:
        yield conn


def test_no_event_carries_a_body_a_comment_or_a_confidential_title(world, outbox):
    envelopes = [
        json.dumps(row[0]) if not isinstance(row[0], str) else row[0]
        for row in query(outbox, "SELECT envelope FROM outbox ORDER BY seq")
    ]
    ours = [text for text in envelopes if world.community_id in text]
    assert len(ours) > len(world.items)  # created, submitted, approved, published, comments, ...
    for item in world.items:
        about = [text for text in ours if item.id in text]
        assert about, item.key
        for text in ours:
            assert item.body_word not in text, (item.key, "body", text)
            for comment_id, comment_word in item.comments:
                assert comment_word not in text, (item.key, "comment", comment_id, text)
            if item.level == "confidential" and item.title_word:
                assert item.title_word not in text, (item.key, "confidential title", text)
        if item.level == "confidential":
            for data in events(outbox, subject=item.id):
                if "title" in data:
                    assert data["title"] is None, (item.key, data)
    # the scan sees titles where they may be: a public item's title is in its events
    public_news = next(item for item in world.items if item.key == "public/public/news")
    assert any(public_news.title_word in text for text in ours)
