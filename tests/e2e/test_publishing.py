"""Content through the gateway, against the real identity, spaces and publishing processes: the
validation workflows (pre-moderation, multi-step), co-edition (merges, conflicts, revisions),
rendering, knowledge levels and feeds, and who may not.

Publishing learns of communities, spaces and members from the spaces service's events: the first
call that depends on something just made there is repeated until publishing knows it
(``tests.support.publishing.until_known``).
"""

import uuid

import pytest

from gateway.routing import operations
from gateway.service import GatewayService
from kernel.events.catalog.publishing import KNOWLEDGE_LEVELS
from kernel.testing.waiting import eventually
from tests.support.publishing import (
    MarkupCensus,
    act,
    feed_ids,
    ids,
    invite,
    join,
    known_member,
    live_community,
    new_user,
    publishing_stack,
    save,
    until_known,
    write,
)
from tests.support.spaces import call, make_user, ok, problem

pytestmark = pytest.mark.e2e

PRE_MODERATION = {"mode": "pre_moderation", "steps": [{"name": "review", "role": "moderator"}]}
TYPES = ("news", "topic", "reply", "document", "question", "answer", "press_review", "course", "meeting")
BODY = "".join(f"Paragraph {n}.\n" for n in range(1, 8))


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    with publishing_stack(database_url, amqp_uri, tmp_path_factory.mktemp("publishing")) as stack:
        yield stack


@pytest.fixture(scope="module")
def url(platform):
    return platform[0]


@pytest.fixture(scope="module")
def owner(platform):
    """A community creator's access token: they own every community of these tests."""
    url, settings = platform
    return make_user(url, "community_creator", settings, name="Owner")[1]


@pytest.fixture(scope="module")
def project(url, owner):
    """A live project community (multi-step validation: review by a `reviewer`, then approval by a
    `lead`; confidential by default) with two contributors, a reviewer and a lead."""
    community_id, spaces = live_community(url, owner, "project")
    people = {role: new_user(url, role.title()) for role in ("author", "coeditor", "reviewer", "lead")}
    for name, user in people.items():
        invite(url, community_id, user, owner, {"author": "contributor", "coeditor": "contributor"}.get(name, name))
    for user in people.values():
        known_member(url, user, spaces["Members"]["id"])
    return community_id, spaces["Members"]["id"], people


@pytest.fixture(scope="module")
def moderated(url, owner):
    """A live interest community under pre-moderation by moderators, with an author, a moderator and a
    reader; and a stranger."""
    community_id, spaces = live_community(url, owner, "interest", {"validation": PRE_MODERATION})
    people = {name: new_user(url, name.title()) for name in ("author", "moderator", "reader", "stranger")}
    join(url, community_id, people["author"], owner)
    join(url, community_id, people["moderator"], owner, role="moderator")
    join(url, community_id, people["reader"], owner)
    for name in ("author", "moderator", "reader"):
        known_member(url, people[name], spaces["Members"]["id"])
    return community_id, spaces["Public"]["id"], people


# -- content types ---------------------------------------------------------------------------------


def test_anyone_lists_the_content_types(url):
    types = {item["name"]: item for item in ok(call(url, "GET", "/v1/content-types"))["items"]}
    assert set(TYPES) <= set(types)
    assert (types["document"]["module"], types["document"]["co_edited"]) == ("documents", True)
    assert (types["reply"]["parent"], types["reply"]["titled"]) == ("topic", False)
    assert {"name": "summary", "type": "string", "required": False} in types["news"]["fields"]


# -- pre-moderation ----------------------------------------------------------------------------------


def test_a_pre_moderated_news_item_is_seen_once_a_moderator_approves_it(url, moderated):
    community_id, space_id, people = moderated
    author, moderator, reader = people["author"], people["moderator"], people["reader"]

    draft = write(url, author.token, space_id, type="news", title="Field day", body="Meet at **nine**.")
    assert (draft["state"], draft["revision"], draft["author_id"]) == ("draft", 1, author.id)
    assert draft["knowledge_level"] == "public"  # the interest kind's default
    assert {"edit", "submit"} <= set(draft["my_actions"])
    item = f"/v1/contents/{draft['id']}"
    assert ok(act(url, author.token, draft["id"], "submit"))["state"] == "submitted"

    # until approved, only its author (and who may approve it) reads it: no one else, in no feed
    feeds = (
        f"/v1/spaces/{space_id}/feed",
        f"/v1/communities/{community_id}/feed",
        "/v1/me/feed",
    )
    for who in (reader.token, None):
        problem(call(url, "GET", item, who), 404)
    for feed in feeds:
        assert draft["id"] not in feed_ids(url, feed, reader.token)
    assert act(url, reader.token, draft["id"], "approve").status_code in (403, 404)
    queue = f"/v1/communities/{community_id}/moderation-queue"
    assert draft["id"] not in ids(ok(call(url, "GET", queue, reader.token)))

    # the moderator finds it in their queue and approves it: it is published at once
    eventually(
        lambda: draft["id"] in ids(ok(call(url, "GET", queue, moderator.token))),
        timeout=30,
        interval=0.2,
        what="the item in the moderator's queue",
    )
    waiting = ok(call(url, "GET", item, moderator.token))
    assert {"approve", "reject"} <= set(waiting["my_actions"])
    submitted = [entry for entry in waiting["history"] if entry["to_state"] == "submitted"]
    assert [entry["actor_id"] for entry in submitted] == [author.id]
    published = ok(act(url, moderator.token, draft["id"], "approve"))
    assert published["state"] == "published"
    assert published["published_at"]
    assert draft["id"] not in ids(ok(call(url, "GET", queue, moderator.token)))

    # now every reader sees it, in the space's feed, the community's and the members' own feeds
    seen = ok(call(url, "GET", item, reader.token))
    assert (seen["title"], seen["state"]) == ("Field day", "published")
    assert not seen.get("history")  # the history is for who moderates or validates
    assert "<strong>nine</strong>" in seen["body_html"]
    assert ok(call(url, "GET", item))["id"] == draft["id"]  # a public item of a public space
    for feed in feeds:
        assert draft["id"] in feed_ids(url, feed, reader.token), feed
    assert draft["id"] in feed_ids(url, feeds[0], None)
    assert draft["id"] in feed_ids(url, "/v1/me/feed", author.token)


def test_a_rejected_item_goes_back_to_its_author(url, moderated):
    _, space_id, people = moderated
    author, moderator = people["author"], people["moderator"]
    draft = write(url, author.token, space_id, type="news", title="Rumour", body="Unchecked.")
    ok(act(url, author.token, draft["id"], "submit"))
    problem(act(url, moderator.token, draft["id"], "reject", {"reason": ""}), 400)
    rejected = ok(
        until_known(
            lambda: act(url, moderator.token, draft["id"], "reject", {"reason": "Give a source."}),
            "publishing to know the moderator",
        )
    )
    assert rejected["state"] == "rejected"
    assert [entry["reason"] for entry in rejected["history"] if entry["to_state"] == "rejected"] == ["Give a source."]
    edited = ok(save(url, author.token, draft["id"], {"body": "Checked: see the minutes."}))
    assert (edited["state"], edited["revision"]) == ("draft", 2)
    assert ok(act(url, author.token, draft["id"], "submit"))["state"] == "submitted"


# -- multi-step validation ---------------------------------------------------------------------------


def test_a_document_passes_each_validation_step_in_order(url, project):
    _, space_id, people = project
    author, reviewer, lead = people["author"], people["reviewer"], people["lead"]
    draft = write(url, author.token, space_id, type="document", title="Specification", body="# Scope\n")
    assert draft["knowledge_level"] == "confidential"  # the project kind's default
    item = f"/v1/contents/{draft['id']}"
    in_review = ok(act(url, author.token, draft["id"], "submit"))
    assert (in_review["state"], in_review["step"]) == ("in_review", "review")

    # the lead reads it (they approve a later step) but may not take the reviewer's decision
    ok(until_known(lambda: call(url, "GET", item, lead.token), "publishing to know the lead"))
    problem(act(url, lead.token, draft["id"], "approve"), 403)
    reviewed = ok(until_known(lambda: act(url, reviewer.token, draft["id"], "approve"), "the reviewer's role"))
    assert (reviewed["state"], reviewed["step"]) == ("in_review", "approval")
    problem(act(url, reviewer.token, draft["id"], "approve"), 403)  # the next step is the lead's
    published = ok(act(url, lead.token, draft["id"], "approve"))
    assert (published["state"], published["step"]) == ("published", None)
    decisions = [entry for entry in published["history"] if entry["to_state"] in ("in_review", "approved")]
    assert [(entry["actor_id"], entry["step"]) for entry in decisions] == [
        (author.id, "review"),  # submitted: the review starts
        (reviewer.id, "review"),
        (lead.id, "approval"),
    ]
    assert draft["id"] in feed_ids(url, f"/v1/spaces/{space_id}/feed", people["coeditor"].token)


# -- co-edition --------------------------------------------------------------------------------------


def test_two_members_co_edit_a_document(url, project):
    _, space_id, people = project
    alice, bob = people["author"], people["coeditor"]
    draft = write(url, alice.token, space_id, type="document", title="Handbook", body=BODY)
    content_id, item = draft["id"], f"/v1/contents/{draft['id']}"
    seen = until_known(lambda: call(url, "GET", item, bob.token), "publishing to know the co-editor")
    assert (ok(seen)["revision"], seen.headers["ETag"]) == (1, '"1"')
    problem(save(url, bob.token, content_id, {"body": BODY + "More.\n"}), 428)  # from which revision?

    # both edit revision 1; disjoint changes merge, whatever form If-Match takes
    first = save(url, alice.token, content_id, {"body": BODY.replace("Paragraph 1.", "Paragraph one.")}, '"1"')
    assert (ok(first)["revision"], ok(first)["merged"], first.headers["ETag"]) == (2, False, '"2"')
    second = save(url, bob.token, content_id, {"body": BODY.replace("Paragraph 6.", "Paragraph six.")}, 'W/"1"')
    merged = ok(second)
    assert (merged["revision"], merged["merged"], second.headers["ETag"]) == (3, True, '"3"')
    assert "Paragraph one." in merged["body"]
    assert "Paragraph six." in merged["body"]
    retitled = ok(save(url, bob.token, content_id, {"title": "The handbook", "base_revision": 2}))  # stale, apart
    assert (retitled["revision"], retitled["merged"], retitled["title"]) == (4, True, "The handbook")
    assert retitled["body"] == merged["body"]

    # overlapping changes are a conflict: nothing is saved, and a proposal shows both sides
    current = retitled["body"]
    ok(save(url, alice.token, content_id, {"body": current.replace("Paragraph 4.", "Paragraph four.")}, "4"))
    conflict = problem(
        save(url, bob.token, content_id, {"body": current.replace("Paragraph 4.", "Paragraph IV.")}, '"4"'),
        409,
        "edit-conflict",
    )
    assert conflict["base"]["revision"] == 4
    assert "Paragraph four." in conflict["theirs"]["body"]
    assert "Paragraph IV." in conflict["yours"]["body"]
    for marker in ("<<<<<<< theirs", "=======", ">>>>>>> yours", "Paragraph four.", "Paragraph IV."):
        assert marker in conflict["proposal"]["body"], marker
    after = call(url, "GET", item, bob.token)
    assert (ok(after)["revision"], after.headers["ETag"]) == (5, '"5"')
    assert "Paragraph IV." not in ok(after)["body"]
    problem(save(url, bob.token, content_id, {"title": "X"}, "five"), 400)

    # the revisions, what changed between two, and an old one restored as a new revision
    revisions = ok(call(url, "GET", item + "/revisions", alice.token, params={"limit": 100}))["items"]
    assert sorted(revision["number"] for revision in revisions) == [1, 2, 3, 4, 5]
    assert {revision["author_id"] for revision in revisions} == {alice.id, bob.id}
    diff = ok(call(url, "GET", item + "/diff", alice.token, params={"from": 1, "to": 2}))
    assert "-Paragraph 1." in diff["body"]
    assert "+Paragraph one." in diff["body"]
    assert not diff["title"]
    assert ok(call(url, "GET", item + "/diff", alice.token, params={"from": 3, "to": 4}))["title"] == {
        "from": "Handbook",
        "to": "The handbook",
    }
    problem(call(url, "GET", item + "/diff", alice.token, params={"from": 1}), 400)
    restored = call(url, "POST", item + "/restore", alice.token, {"revision": 1})
    assert (ok(restored)["revision"], ok(restored)["body"], restored.headers["ETag"]) == (6, BODY, '"6"')


def test_a_stale_save_of_a_plain_item_merges_too(url, moderated):
    _, space_id, people = moderated
    author = people["author"]
    draft = write(url, author.token, space_id, type="news", title="Agenda", body=BODY)
    ok(save(url, author.token, draft["id"], {"body": BODY.replace("Paragraph 2.", "Paragraph two.")}, '"1"'))
    stale = ok(save(url, author.token, draft["id"], {"title": "The agenda"}, '"1"'))
    assert (stale["revision"], stale["merged"], stale["title"]) == (3, True, "The agenda")
    assert "Paragraph two." in stale["body"]


# -- rendering and bad input -------------------------------------------------------------------------


def test_a_script_in_markdown_is_neutralized(url, moderated):
    _, space_id, people = moderated
    body = (
        "**Bold** and [a site](https://example.org).\n\n"
        "<script>alert('x')</script>\n\n"
        '<img src="x.png" onerror="alert(1)">\n\n'
        "[click](javascript:alert(1))\n"
    )
    item = write(url, people["author"].token, space_id, type="news", title="Markup", body=body)
    assert item["body"] == body  # the Markdown as written
    html = MarkupCensus(item["body_html"])
    assert "strong" in html.tags
    assert ("href", "https://example.org") in html.attributes
    assert "script" not in html.tags
    assert not [name for name, _ in html.attributes if name.startswith("on")]
    assert not [value for _, value in html.attributes if value.strip().lower().startswith("javascript:")]


def test_an_unknown_type_is_a_422_and_a_bad_body_a_400(url, moderated):
    _, space_id, people = moderated
    path = f"/v1/spaces/{space_id}/contents"
    author = people["author"].token
    unknown = until_known(lambda: call(url, "POST", path, author, {"type": "poem", "title": "Ode"}), "the author")
    problem(unknown, 422, "unknown-type")
    assert "colour" in problem(call(url, "POST", path, author, {"type": "news", "colour": "red"}), 400)["errors"]
    bad_level = {"type": "news", "title": "x", "knowledge_level": "secret"}
    assert "knowledge_level" in problem(call(url, "POST", path, author, bad_level), 400)["errors"]
    too_long = {"type": "news", "title": "Long", "body": "x" * 100_001}
    problem(call(url, "POST", path, author, too_long), 413, "too-large")
    bad_fields = {"type": "news", "title": "x", "fields": {"colour": 1}}
    assert "colour" in problem(call(url, "POST", path, author, bad_fields), 400)["errors"]["fields"]


def test_nothing_changes_in_an_archived_community(url, owner):
    community_id, spaces = live_community(url, owner, "interest")
    author = new_user(url, "Author")
    join(url, community_id, author, owner)
    draft = write(url, author.token, spaces["Public"]["id"], type="news", title="Last words", body="Bye.")
    ok(call(url, "POST", f"/v1/communities/{community_id}/transitions", owner, {"to": "archived"}))
    # publishing learns of the archival by event: until then, an edit still succeeds
    refused = until_known(
        lambda: save(url, author.token, draft["id"], {"body": "Bye!"}), "publishing to know the archival", (200,)
    )
    problem(refused, 409, "archived")
    problem(act(url, author.token, draft["id"], "submit"), 409, "archived")


# -- knowledge levels --------------------------------------------------------------------------------


def test_knowledge_levels_decide_who_reads_a_published_item(platform, url, owner):
    _, settings = platform
    admin = make_user(url, "admin", settings)[1]
    organization = ok(call(url, "POST", "/v1/organizations", admin, {"name": f"Org {uuid.uuid4().hex[:8]}"}), 201)
    employee = new_user(url, "Employee")
    affiliation = {"user_id": employee.id, "affiliation": "employee"}
    ok(call(url, "POST", f"/v1/organizations/{organization['id']}/members", admin, affiliation), 201)
    employee.log_in_again(url)  # the new token claims the affiliation (aff, org)

    community_id, spaces = live_community(url, owner, "interest", {"organizations": [organization["id"]]})
    space_id = spaces["Public"]["id"]
    author, member, outsider = new_user(url, "Author"), new_user(url, "Member"), new_user(url, "Outsider")
    join(url, community_id, author, owner)
    join(url, community_id, member, owner)
    known_member(url, member, spaces["Members"]["id"])
    items = {}
    for level in KNOWLEDGE_LEVELS:
        draft = write(url, author.token, space_id, type="news", title=f"A {level} item", knowledge_level=level)
        assert ok(act(url, author.token, draft["id"], "submit"))["state"] == "published"  # validation: none
        items[level] = draft["id"]

    readers = {
        "anonymous": (None, {"public"}),
        "outsider": (outsider.token, {"public"}),
        "employee": (employee.token, {"public", "extended"}),
        "member": (member.token, {"public", "extended", "confidential"}),
    }
    for who, (token, readable) in readers.items():
        for level, content_id in items.items():
            expected = 200 if level in readable else 404
            assert call(url, "GET", f"/v1/contents/{content_id}", token).status_code == expected, (who, level)
        visible = {items[level] for level in readable}
        for feed in (f"/v1/spaces/{space_id}/feed", f"/v1/communities/{community_id}/feed"):
            assert feed_ids(url, feed, token) & set(items.values()) == visible, (who, feed)
    assert feed_ids(url, "/v1/me/feed", member.token) >= set(items.values())
    assert not feed_ids(url, "/v1/me/feed", outsider.token) & set(items.values())


# -- who may not -------------------------------------------------------------------------------------


def cases(content_id, space_id, community_id):
    """(method, path, a valid body) for each operation of the contents and feeds."""
    item = f"/v1/contents/{content_id}"
    return {
        "list_content_types": ("GET", "/v1/content-types", None),
        "create_content": ("POST", f"/v1/spaces/{space_id}/contents", {"type": "news", "title": "Hijack"}),
        "get_content": ("GET", item, None),
        "update_content": ("PATCH", item, {"title": "Hijacked"}),
        "delete_content": ("DELETE", item, None),
        "submit_content": ("POST", item + "/submit", None),
        "approve_content": ("POST", item + "/approve", None),
        "reject_content": ("POST", item + "/reject", {"reason": "no"}),
        "publish_content": ("POST", item + "/publish", None),
        "archive_content": ("POST", item + "/archive", None),
        "list_revisions": ("GET", item + "/revisions", None),
        "diff_revisions": ("GET", item + "/diff?from=1&to=1", None),
        "restore_revision": ("POST", item + "/restore", {"revision": 1}),
        "moderation_queue": ("GET", f"/v1/communities/{community_id}/moderation-queue", None),
        "space_feed": ("GET", f"/v1/spaces/{space_id}/feed", None),
        "community_feed": ("GET", f"/v1/communities/{community_id}/feed", None),
        "my_feed": ("GET", "/v1/me/feed", None),
        "list_comments": ("GET", item + "/comments", None),
        "add_comment": ("POST", item + "/comments", {"body": "Hijack"}),
        "react": ("POST", item + "/reactions", {"reaction": "like"}),
        "post_answer": ("POST", item + "/answers", {"body": "Hijack"}),
        "accept_answer": ("POST", f"/v1/answers/{content_id}/accept", None),
    }


def publishing_operations():
    return [op for op in operations(GatewayService) if set(op.tags) & {"contents", "feeds"}]


@pytest.fixture(scope="module")
def submitted(url, moderated):
    """An item of the pre-moderated community waiting for a moderator."""
    community_id, space_id, people = moderated
    draft = write(url, people["author"].token, space_id, type="news", title="Pending", body="Wait.")
    ok(act(url, people["author"].token, draft["id"], "submit"))
    return cases(draft["id"], space_id, community_id), draft["id"]


def test_every_operation_has_a_case(submitted):
    table, _ = submitted
    assert {op.operation_id for op in publishing_operations()} == set(table)


def test_without_a_token_only_reads_are_served(url, moderated, submitted):
    table, content_id = submitted
    author = moderated[2]["author"]
    for op in publishing_operations():
        method, path, body = table[op.operation_id]
        response = call(url, method, path, None, body)
        if op.auth is True:
            problem(response, 401)
        elif op.operation_id in ("get_content", "list_comments"):
            problem(response, 404)  # waiting for approval: not for visitors
        else:
            assert response.status_code == 200, (op.operation_id, response.text)
    unchanged = ok(call(url, "GET", f"/v1/contents/{content_id}", author.token))
    assert (unchanged["state"], unchanged["revision"], unchanged["title"]) == ("submitted", 1, "Pending")


def test_a_signed_in_stranger_changes_nothing(url, moderated, submitted):
    table, content_id = submitted
    people = moderated[2]
    for op in publishing_operations():
        if op.method == "GET":
            continue
        method, path, body = table[op.operation_id]
        response = call(url, method, path, people["stranger"].token, body)
        assert response.status_code in (403, 404), (op.operation_id, response.status_code, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
    problem(call(url, "GET", f"/v1/contents/{content_id}", people["stranger"].token), 404)
    assert not ids(ok(call(url, "GET", table["moderation_queue"][1], people["stranger"].token)))
    unchanged = ok(call(url, "GET", f"/v1/contents/{content_id}", people["author"].token))
    assert (unchanged["state"], unchanged["revision"], unchanged["title"]) == ("submitted", 1, "Pending")
