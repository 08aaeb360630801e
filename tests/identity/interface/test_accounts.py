"""Accounts over real RPC: register, get_me, update_me, and the events they write."""

from __future__ import annotations

import json
import uuid

import pytest
from kombu import Connection, Exchange, Queue

from kernel.auth import Actor
from kernel.errors import Conflict, InvalidInput, NotFound, Unauthenticated, Unprocessable
from kernel.events.catalog import USER_PROFILE_UPDATED, USER_REGISTERED
from kernel.events.topology import EXCHANGE
from tests.identity.interface.conftest import PASSWORD, new_email, query

USER_KEYS = {
    "id",
    "email",
    "display_name",
    "locale",
    "bio",
    "avatar_url",
    "languages",
    "expertise",
    "platform_role",
    "email_verified",
    "created_at",
}


def actor(user) -> dict:
    return Actor(user_id=user["id"]).as_dict()


def test_register_answers_the_user_and_stores_an_argon2id_hash(identity, db):
    email = new_email()
    user = identity.register(f"  {email.upper()} ", PASSWORD, " Ana López ", "en-gb")
    assert set(user) == USER_KEYS
    assert uuid.UUID(user["id"])
    assert user["email"] == email
    assert user["display_name"] == "Ana López"
    assert user["locale"] == "en-GB"
    assert (user["bio"], user["avatar_url"], user["languages"], user["expertise"]) == (None, None, [], [])
    assert (user["platform_role"], user["email_verified"]) == ("member", False)
    assert user["created_at"].endswith("+00:00")
    [(stored,)] = query(db, "SELECT password_hash FROM users WHERE id = %s", (user["id"],))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_registration_writes_the_registered_event_without_the_email(identity, db):
    user = identity.register(new_email(), PASSWORD, "Bea", "fr")
    [(envelope,)] = query(db, "SELECT envelope FROM outbox WHERE subject = %s", (f"user/{user['id']}",))
    assert envelope["type"] == USER_REGISTERED
    assert envelope["source"] == "/ecommunity/identity"
    assert envelope["data"] == {
        "user_id": user["id"],
        "display_name": "Bea",
        "locale": "fr",
        "registered_at": envelope["data"]["registered_at"],
    }
    assert user["email"] not in json.dumps(envelope)


def test_the_registered_event_reaches_a_subscriber(identity, identity_settings):
    events = Exchange(EXCHANGE, type="topic", durable=True)
    with Connection(identity_settings.amqp_uri) as conn:
        queue = Queue(f"test.identity.{uuid.uuid4().hex[:8]}", events, routing_key="ecommunity.identity.#")
        queue = queue.bind(conn.default_channel)
        events.bind(conn.default_channel).declare()
        queue.declare()
        try:
            user = identity.register(new_email(), PASSWORD, "Cleo")
            received = []
            with conn.Consumer(queue, callbacks=[lambda body, message: received.append(body) or message.ack()]):
                while not any(user["id"] in str(body) for body in received):
                    conn.drain_events(timeout=10)
        finally:
            queue.delete()
    # as text, or already decoded when this process registered nameko's cloudevents serializer
    event = next(body if isinstance(body, dict) else json.loads(body) for body in received if user["id"] in str(body))
    assert event["type"] == USER_REGISTERED
    assert event["subject"] == f"user/{user['id']}"


def test_a_taken_email_is_a_conflict_whatever_its_case(identity, account):
    _, email = account()
    with pytest.raises(Conflict) as caught:
        identity.register(email.upper(), PASSWORD, "Someone else")
    assert caught.value.code == "email-taken"


def test_a_malformed_email_is_invalid_email(identity):
    with pytest.raises(InvalidInput) as caught:
        identity.register("not-an-email", PASSWORD, "Ana")
    assert caught.value.code == "invalid-email"
    assert caught.value.extra["errors"]["email"]


@pytest.mark.parametrize(
    ("password", "reasons"),
    [
        ("short-pw", ["too-short"]),
        ("qwertyuiop123", ["too-common"]),
        ("Password1234", ["too-common"]),
        ("{local}-is-my-password", ["contains-email"]),
        ("{local}", ["too-short", "contains-email"]),
    ],
)
def test_a_weak_password_is_refused_with_its_reasons(identity, db, password, reasons):
    email = f"u{uuid.uuid4().hex[:6]}@example.org"
    with pytest.raises(Unprocessable) as caught:
        identity.register(email, password.format(local=email.split("@")[0]), "Ana")
    assert caught.value.code == "weak-password"
    assert caught.value.extra["reasons"] == reasons
    assert query(db, "SELECT count(*) FROM users WHERE email = %s", (email,)) == [(0,)]


def test_get_me_answers_the_actors_user(identity, account):
    user, _ = account()
    assert identity.get_me(actor(user)) == user


@pytest.mark.parametrize("user_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_get_me_of_an_unknown_user_is_not_found(identity, user_id):
    with pytest.raises(NotFound):
        identity.get_me(Actor(user_id=user_id).as_dict())


def test_a_deleted_user_is_not_found(identity, account, db):
    user, _ = account()
    query(db, "UPDATE users SET deleted_at = now() WHERE id = %s RETURNING id", (user["id"],))
    with pytest.raises(NotFound):
        identity.get_me(actor(user))
    with pytest.raises(NotFound):
        identity.update_me(actor(user), {"bio": "still here?"})


def test_get_me_needs_an_actor(identity):
    with pytest.raises(Unauthenticated):
        identity.get_me(None)


def test_update_me_changes_the_profile_and_says_which_fields_changed(identity, account, db):
    user, _ = account()
    changes = {
        "display_name": "Ana L.",
        "locale": "it",
        "bio": "Builds communities.",
        "avatar_url": "https://cdn.example.org/ana.png",
        "languages": ["it", "en-gb"],
        "expertise": ["moderation", "onboarding"],
        "platform_role": "admin",
    }
    with pytest.raises(InvalidInput) as caught:
        identity.update_me(actor(user), changes)  # the role is not the user's to change
    assert list(caught.value.extra["errors"]) == ["platform_role"]
    del changes["platform_role"]
    updated = identity.update_me(actor(user), {**changes, "locale": "en"})
    assert updated == {**user, **changes, "locale": "en", "languages": ["it", "en-GB"]}
    assert identity.get_me(actor(user)) == updated
    assert identity.update_me(actor(user), {"locale": "en", "bio": "Builds communities."}) == updated  # no change
    envelopes = [
        e for (e,) in query(db, "SELECT envelope FROM outbox WHERE subject = %s ORDER BY seq", (f"user/{user['id']}",))
    ]
    assert [e["type"] for e in envelopes] == [USER_REGISTERED, USER_PROFILE_UPDATED]
    assert envelopes[1]["data"] == {
        "user_id": user["id"],
        "changed": ["display_name", "bio", "avatar_url", "languages", "expertise"],
    }


@pytest.mark.parametrize(
    "changes",
    [{"bio": "x" * 2001}, {"avatar_url": "ftp://example.org/a.png"}, {"languages": ["english"]}, {"display_name": ""}],
)
def test_update_me_refuses_invalid_changes(identity, account, changes):
    user, _ = account()
    with pytest.raises(InvalidInput) as caught:
        identity.update_me(actor(user), changes)
    assert set(caught.value.extra["errors"]) == set(changes)
    assert identity.get_me(actor(user)) == user
