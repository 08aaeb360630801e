"""Sign-in, refresh rotation with theft detection, logout — over real RPC."""

from __future__ import annotations

import json
import statistics
import time

import jwt
import pytest

from kernel.errors import InvalidInput, Unauthenticated
from tests.identity.interface.conftest import PASSWORD, new_email, query


def test_issued_tokens_verify_with_the_published_keys_and_name_the_user(identity, account, verifier, identity_settings):
    user, email = account()
    pair = identity.issue_tokens(email, PASSWORD, client_address="203.0.113.7")
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["token_type"] == "Bearer"
    assert pair["expires_in"] == identity_settings.access_token_ttl_seconds
    actor = verifier.verify(pair["access_token"])
    assert (actor.user_id, actor.platform_role, actor.affiliation, actor.organization_id, actor.expert) == (
        user["id"],
        "member",
        "public",
        None,
        False,
    )
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == identity_settings.access_token_ttl_seconds
    assert len(claims["jti"]) == 32
    assert identity.get_me(actor.as_dict()) == user


def test_the_email_is_matched_whatever_its_case_and_spaces(identity, account, verifier):
    user, email = account()
    pair = identity.issue_tokens(f" {email.upper()} ", PASSWORD)
    assert verifier.verify(pair["access_token"]).user_id == user["id"]


def test_a_wrong_password_and_an_unknown_email_are_the_same_error(identity, account, db):
    user, email = account()
    failures = []
    for login in ((email, "not-the-password"), (new_email(), PASSWORD), ("not an email", PASSWORD)):
        with pytest.raises(Unauthenticated) as caught:
            identity.issue_tokens(*login, client_address="198.51.100.4")
        failures.append((type(caught.value), caught.value.code, caught.value.detail))
    assert failures[0] == failures[1] == failures[2]
    assert failures[0][1] == "invalid-credentials"
    # the failure was recorded even though the call failed; no secret is kept
    rows = query(db, "SELECT kind, host(client_address) FROM security_events WHERE user_id = %s", (user["id"],))
    assert rows == [("login.failed", "198.51.100.4")]


def test_an_unknown_email_takes_about_as_long_as_a_wrong_password(identity, account):
    _, email = account()

    def duration(login_email: str) -> float:
        started = time.perf_counter()
        with pytest.raises(Unauthenticated):
            identity.issue_tokens(login_email, "not-the-password")
        return time.perf_counter() - started

    duration(new_email())  # the dummy hash is made on first use
    wrong = statistics.median(duration(email) for _ in range(5))
    unknown = statistics.median(duration(new_email()) for _ in range(5))
    assert 0.5 < unknown / wrong < 2, (unknown, wrong)


def test_a_successful_login_is_recorded(identity, account, db):
    user, email = account()
    identity.issue_tokens(email, PASSWORD, client_address="2001:db8::1")
    rows = query(db, "SELECT kind, host(client_address) FROM security_events WHERE user_id = %s", (user["id"],))
    assert rows == [("login.succeeded", "2001:db8::1")]


def test_a_malformed_client_address_is_invalid_input(identity, account):
    _, email = account()
    with pytest.raises(InvalidInput):
        identity.issue_tokens(email, PASSWORD, client_address="somewhere")


def test_a_stale_password_hash_is_replaced_at_login(identity, account, db):
    from argon2 import PasswordHasher

    user, email = account()
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    query(db, "UPDATE users SET password_hash = %s WHERE id = %s RETURNING id", (weak, user["id"]))
    identity.issue_tokens(email, PASSWORD)
    [(stored,)] = query(db, "SELECT password_hash FROM users WHERE id = %s", (user["id"],))
    assert stored != weak
    assert not PasswordHasher().check_needs_rehash(stored)
    identity.issue_tokens(email, PASSWORD)  # and the new hash verifies


def test_refresh_rotates_within_the_family(identity, account, verifier, db):
    user, email = account()
    first = identity.issue_tokens(email, PASSWORD)
    second = identity.refresh(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert verifier.verify(second["access_token"]).user_id == user["id"]
    third = identity.refresh(second["refresh_token"])
    assert verifier.verify(third["access_token"]).user_id == user["id"]
    rows = query(
        db,
        "SELECT count(DISTINCT t.family_id), count(*), count(t.used_at) FROM refresh_tokens t"
        " JOIN refresh_families f ON f.id = t.family_id WHERE f.user_id = %s",
        (user["id"],),
    )
    assert rows == [(1, 3, 2)]


def test_a_reused_refresh_token_revokes_the_whole_family(identity, account, db):
    user, email = account()
    stolen = identity.issue_tokens(email, PASSWORD)["refresh_token"]
    newest = identity.refresh(stolen)["refresh_token"]
    other_session = identity.issue_tokens(email, PASSWORD)["refresh_token"]
    with pytest.raises(Unauthenticated) as caught:
        identity.refresh(stolen)
    assert caught.value.code == "refresh-token-reused"
    with pytest.raises(Unauthenticated) as caught:
        identity.refresh(newest)  # the family is revoked: its newest token is refused too
    assert caught.value.code == "refresh-token-reused"
    assert identity.refresh(other_session)["token_type"] == "Bearer"  # another family lives on
    kinds = query(db, "SELECT kind FROM security_events WHERE user_id = %s AND kind = 'refresh.reused'", (user["id"],))
    assert len(kinds) == 2


@pytest.mark.parametrize("token", ["", "x" * 43, "not even close"])
def test_an_unknown_refresh_token_is_invalid(identity, token):
    with pytest.raises(Unauthenticated) as caught:
        identity.refresh(token)
    assert caught.value.code == "invalid-refresh-token"


def test_an_expired_refresh_token_is_invalid(identity, account, db):
    user, email = account()
    token = identity.issue_tokens(email, PASSWORD)["refresh_token"]
    query(
        db,
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE family_id IN"
        " (SELECT id FROM refresh_families WHERE user_id = %s) RETURNING 1",
        (user["id"],),
    )
    with pytest.raises(Unauthenticated) as caught:
        identity.refresh(token)
    assert caught.value.code == "invalid-refresh-token"


def test_a_deleted_users_refresh_token_is_invalid(identity, account, db):
    user, email = account()
    token = identity.issue_tokens(email, PASSWORD)["refresh_token"]
    query(db, "UPDATE users SET deleted_at = now() WHERE id = %s RETURNING id", (user["id"],))
    with pytest.raises(Unauthenticated) as caught:
        identity.refresh(token)
    assert caught.value.code == "invalid-refresh-token"


def test_logout_ends_the_family_and_says_nothing_about_unknown_tokens(identity, account):
    _, email = account()
    first = identity.issue_tokens(email, PASSWORD)
    second = identity.refresh(first["refresh_token"])
    assert identity.logout(second["refresh_token"]) is None
    with pytest.raises(Unauthenticated):
        identity.refresh(second["refresh_token"])
    assert identity.logout(second["refresh_token"]) is None  # idempotent
    assert identity.logout("no-such-token") is None


def test_no_rpc_result_carries_a_password_a_hash_or_a_private_key(identity, db, verifier):
    email = new_email()
    results = [identity.register(email, "a-long-enough-secret-phrase", "Dee")]
    results.append(identity.issue_tokens(email, "a-long-enough-secret-phrase"))
    results.append(identity.refresh(results[-1]["refresh_token"]))
    user_id = results[0]["id"]
    actor = verifier.verify(results[-1]["access_token"]).as_dict()
    results += [identity.get_me(actor), identity.update_me(actor, {"bio": "hi"}), identity.jwks()]
    results.append(identity.logout(results[2]["refresh_token"]))
    text = json.dumps(results)
    [(password_hash,)] = query(db, "SELECT password_hash FROM users WHERE id = %s", (user_id,))
    token_hashes = query(
        db,
        "SELECT token_hash FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE f.user_id = %s",
        (user_id,),
    )
    pems = query(db, "SELECT private_key_pem FROM signing_keys")
    secrets = ["a-long-enough-secret-phrase", password_hash] + [h for (h,) in token_hashes]
    secrets += [line for (pem,) in pems for line in pem.splitlines() if "-----" not in line]
    assert len(token_hashes) == 2
    assert not [s for s in secrets if s in text]
    assert not {"password", "password_hash", "token_hash", "private_key_pem", "d"} & set(_keys(results))


def _keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)
