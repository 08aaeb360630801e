"""Signing keys over real RPC: the JWKS, rotation without logging anyone out, retirement."""

from __future__ import annotations

import jwt

from kernel.auth import TokenVerifier
from tests.identity.interface.conftest import PASSWORD, query


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_the_jwks_publishes_the_signing_key(identity, account):
    _, email = account()
    token = identity.issue_tokens(email, PASSWORD)["access_token"]
    keys = identity.jwks()["keys"]
    assert kid_of(token) in [key["kid"] for key in keys]
    assert all(set(key) == {"kty", "crv", "x", "kid", "alg", "use"} for key in keys)
    assert {(key["kty"], key["crv"], key["alg"], key["use"]) for key in keys} == {("OKP", "Ed25519", "EdDSA", "sig")}


def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(identity, account, identity_settings):
    user, email = account()
    old = identity.issue_tokens(email, PASSWORD)
    verifier = TokenVerifier(
        identity_settings.token_issuer, identity_settings.token_audience, identity.jwks, min_refresh_seconds=0
    )
    verifier.verify(old["access_token"])  # caches the old key only
    new_kid = identity.rotate_signing_key()["kid"]
    assert new_kid != kid_of(old["access_token"])
    published = [key["kid"] for key in identity.jwks()["keys"]]
    assert kid_of(old["access_token"]) in published
    assert new_kid in published
    fresh = identity.issue_tokens(email, PASSWORD)
    refreshed = identity.refresh(old["refresh_token"])
    assert kid_of(fresh["access_token"]) == kid_of(refreshed["access_token"]) == new_kid
    # the verifier learns the new key when a token names it; the old token still verifies
    assert verifier.verify(fresh["access_token"]).user_id == user["id"]
    assert verifier.verify(old["access_token"]).user_id == user["id"]


def test_keys_retire_once_their_tokens_have_expired(identity, db):
    retiring = identity.rotate_signing_key()["kid"]
    identity.rotate_signing_key()
    assert retiring in [key["kid"] for key in identity.jwks()["keys"]]
    # as if it stopped signing a day ago: every token it signed has expired
    query(
        db, "UPDATE signing_keys SET superseded_at = now() - interval '1 day' WHERE kid = %s RETURNING 1", (retiring,)
    )
    assert retiring not in [key["kid"] for key in identity.jwks()["keys"]]
    current = identity.rotate_signing_key()["kid"]
    assert query(db, "SELECT count(*) FROM signing_keys WHERE kid = %s", (retiring,)) == [(0,)]  # deleted
    assert query(db, "SELECT kid FROM signing_keys WHERE superseded_at IS NULL") == [(current,)]


def test_replicas_racing_to_create_the_first_key_create_one(database_url):
    """Two transactions find no key; the second insert waits for the first and yields to it."""
    import io

    import eventlet
    import psycopg2

    from kernel.db import ConnectionPool, Transaction
    from kernel.migrations import migrate_schema, migrations_for
    from services.identity.storage import IdentityStorage

    schema = "identity_key_race"
    migrate_schema(database_url, schema, migrations_for("identity"), out=io.StringIO())
    pool = ConnectionPool(database_url, schema, size=2)
    first, second = Transaction(pool, "identity"), Transaction(pool, "identity")
    try:
        key = IdentityStorage(first).signing_key()  # inserted, not committed yet
        racing = eventlet.spawn(IdentityStorage(second).signing_key)
        eventlet.sleep(0.2)  # the second one now waits on the unique index
        first.commit()
        assert racing.wait().kid == key.kid
        second.commit()
        assert [k.kid for k in IdentityStorage(second).signing_keys()] == [key.kid]
    finally:
        first.release()
        second.release()
        pool.close()
        conn = psycopg2.connect(database_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()
