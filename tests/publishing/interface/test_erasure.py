"""The ``user.erased`` contract in a real PublishingService: identity's event (a CloudEvents envelope
on the platform's exchange) leaves the erased user's items, revisions and comments by an anonymous
author, deletes their reactions and course registrations, and a second delivery changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Producer

from kernel.events.catalog import USER_ERASED
from kernel.events.envelope import CONTENT_TYPE, make_envelope
from kernel.events.topology import EXCHANGE
from kernel.testing.waiting import eventually
from tests.publishing.interface.conftest import published, query


@pytest.fixture
def erase(stack_settings):
    """``erase(user_id)``: identity's ``user.erased`` published on the exchange; answers the envelope
    (``erase(envelope=...)`` publishes that one again: a redelivery)."""

    def send(user_id: str | None = None, envelope: dict | None = None) -> dict:
        if envelope is None:
            data = {"user_id": user_id, "erased_at": datetime.now(UTC).isoformat()}
            envelope = make_envelope("identity", USER_ERASED, f"user/{user_id}", data)
        with Connection(stack_settings.amqp_uri) as conn:
            Producer(conn).publish(
                json.dumps(envelope),
                exchange=EXCHANGE,
                routing_key=USER_ERASED,
                content_type=CONTENT_TYPE,
                content_encoding="utf-8",
                delivery_mode=2,
            )
        return envelope

    return send


def traces(pdb, user_id: str) -> dict[str, int]:
    """How many rows of each kind still name ``user_id``."""
    counted = {
        "contents": "SELECT count(*) FROM contents WHERE author_id = %s",
        "revisions": "SELECT count(*) FROM content_revisions WHERE author_id = %s",
        "comments": "SELECT count(*) FROM comments WHERE author_id = %s",
        "reactions": "SELECT count(*) FROM reactions WHERE user_id = %s",
        "registrations": "SELECT count(*) FROM course_registrations WHERE user_id = %s OR completed_by = %s",
        "reports": "SELECT count(*) FROM reports WHERE reporter_id = %s",
        "transitions": "SELECT count(*) FROM content_transitions WHERE actor_id = %s",
        "sanctions": "SELECT count(*) FROM sanctions WHERE user_id = %s OR by = %s",
        "hidings": "SELECT count(*) FROM hidings WHERE by = %s",
    }
    return {name: query(pdb, sql, (user_id,) * sql.count("%s"))[0][0] for name, sql in counted.items()}


def test_an_erased_author_leaves_anonymous_contributions_and_no_personal_rows(publishing, world, pdb, erase):
    place = world(modules=["news", "forum", "courses"])
    gone, teacher, bob = place.join(role="manager"), place.join(), place.join()  # validates, moderates
    uid = gone["user_id"]
    item = published(publishing, gone, place.public)
    publishing.update_content(gone, item["id"], {"body": "Revised."})
    comment = publishing.add_comment(gone, item["id"], "Mine.")
    publishing.react(gone, item["id"], "like")
    publishing.react(bob, item["id"], "thanks")
    window = {"starts_at": datetime.now(UTC).isoformat(), "ends_at": (datetime.now(UTC) + timedelta(1)).isoformat()}
    course = published(publishing, teacher, place.public, type="course", title="GIS", fields=window)
    publishing.register(gone, course["id"])
    publishing.register(bob, course["id"])
    publishing.complete(gone, course["id"], bob["user_id"])
    query(
        pdb,
        "INSERT INTO reports (id, content_id, reporter_id, reason, category, created_at)"
        " VALUES (gen_random_uuid(), %s, %s, 'Spam.', 'spam', now()) RETURNING id",
        (course["id"], uid),
    )
    query(
        pdb,
        "INSERT INTO sanctions (id, community_id, user_id, kind, reason, until, by, at)"
        " VALUES (gen_random_uuid(), %s, %s, 'warn', 'Be kind.', NULL, %s, now()) RETURNING id",
        (item["community_id"], uid, teacher["user_id"]),
    )
    hidden = published(publishing, bob, place.public)
    publishing.hide_content(gone, hidden["id"], "Off topic.")
    before = traces(pdb, uid)
    assert before["transitions"] > 0  # they submitted their items
    assert {k: v for k, v in before.items() if k != "transitions"} == {
        "contents": 1,
        "revisions": 2,
        "comments": 1,
        "reactions": 1,
        "registrations": 2,
        "reports": 1,
        "sanctions": 1,
        "hidings": 1,
    }

    envelope = erase(uid)
    eventually(lambda: traces(pdb, uid) == dict.fromkeys(traces(pdb, uid), 0), timeout=20, what="the erasure")

    assert query(pdb, "SELECT author_id, body FROM contents WHERE id = %s", (item["id"],)) == [(None, "Revised.")]
    assert query(pdb, "SELECT author_id, body FROM comments WHERE id = %s", (comment["id"],)) == [(None, "Mine.")]
    assert publishing.get_content(None, item["id"])["reactions"] == {"thanks": 1}
    bobs = query(
        pdb,
        "SELECT completed_at IS NOT NULL, completed_by FROM course_registrations WHERE course_id = %s",
        (course["id"],),
    )
    assert bobs == [(True, None)]  # the completion stays, by nobody; the erased user's registration is gone
    assert query(pdb, "SELECT reporter_id FROM reports WHERE content_id = %s", (course["id"],)) == [(None,)]
    assert query(pdb, "SELECT by, reason FROM hidings WHERE content_id = %s", (hidden["id"],)) == [
        (None, "Off topic.")
    ]  # the audit stays, by nobody

    # the same event again (a redelivery) is skipped: a reaction made since survives it
    publishing.react(gone, item["id"], "agree")
    erase(envelope=envelope)
    witness = place.join()
    publishing.react(witness, item["id"], "insightful")
    erase(witness["user_id"])
    eventually(
        lambda: query(pdb, "SELECT count(*) FROM reactions WHERE user_id = %s", (witness["user_id"],)) == [(0,)],
        timeout=20,
        what="a later erasure",
    )
    assert query(pdb, "SELECT reaction FROM reactions WHERE user_id = %s", (uid,)) == [("agree",)]
    assert query(pdb, "SELECT count(*) FROM inbox WHERE event_id = %s", (envelope["id"],)) == [(1,)]
