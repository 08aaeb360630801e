"""Email verification, password reset and change, sign-in lockouts and the audit log — over real RPC,
with a real IdentityService whose mail goes to a folder of this module's own."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from kernel.errors import InvalidInput, NotFound, PermissionDenied, RateLimited, Unauthenticated, Unprocessable
from kernel.testing.infra import free_port
from services.identity.service import IdentityService
from tests.identity.interface.conftest import PASSWORD, new_email, query

NEW_PASSWORD = "amber-heron-folds-kites"


def start_identity(settings, mail_dir: Path, **env):
    """A started IdentityService container reading MAIL_DIR (and ``env``) from the environment."""
    config = settings.nameko_config(IdentityService.name)
    config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{free_port()}"
    container = ServiceContainer(IdentityService, config)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MAIL_DIR", str(mail_dir))
        patch.delenv("SMTP_HOST", raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        container.start()  # providers read the environment in setup()
    return container


def stop(container):
    with eventlet.Timeout(15, False):
        container.stop()
    if container.started:
        container.kill()


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def identity(identity_settings, mail_dir):
    """Overrides conftest's: the same service, with its mail in ``mail_dir``."""
    container = start_identity(identity_settings, mail_dir)
    try:
        with ClusterRpcProxy({"AMQP_URI": identity_settings.amqp_uri}, timeout=30) as rpc:
            yield rpc.identity
    finally:
        stop(container)


def mails_to(mail_dir: Path, address: str) -> list:
    parser = BytesParser(policy=policy.default)
    messages = [parser.parsebytes(path.read_bytes()) for path in sorted(mail_dir.glob("*.eml"))]
    return [m for m in messages if m["To"] == address]


def token_in(message) -> str:
    found = re.search(r"^Token: (\S+)$", message.get_content(), re.MULTILINE)
    assert found, message.get_content()
    return found.group(1)


def actor(user_id, role="member"):
    """An RPC actor as the gateway sends it."""
    return {
        "user_id": user_id,
        "platform_role": role,
        "affiliation": "public",
        "organization_id": None,
        "expert": False,
    }


def events(db, kind, user_id):
    return query(
        db, "SELECT details FROM security_events WHERE kind = %s AND user_id = %s ORDER BY id", (kind, user_id)
    )


# -- email verification ---------------------------------------------------------------------------


def test_registration_mails_a_token_that_verifies_the_email_once(identity, mail_dir, db):
    email = new_email()
    user = identity.register(email, PASSWORD, "Ana")
    assert user["email_verified"] is False
    [message] = mails_to(mail_dir, email)
    token = token_in(message)
    # only the token's SHA-256 is stored
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert query(db, "SELECT purpose FROM account_tokens WHERE token_hash = %s", (digest,)) == [("verify-email",)]
    assert query(db, "SELECT count(*) FROM account_tokens WHERE token_hash = %s", (token,)) == [(0,)]

    assert identity.verify_email(token) is None
    assert identity.get_me(actor(user["id"]))["email_verified"] is True
    emitted = query(db, "SELECT type, subject FROM outbox WHERE subject = %s", (f"user/{user['id']}",))
    assert ("ecommunity.identity.user.email_verified.v1", f"user/{user['id']}") in emitted
    assert len(events(db, "email.verified", user["id"])) == 1

    with pytest.raises(InvalidInput) as again:
        identity.verify_email(token)
    assert again.value.code == "invalid-token"


def test_an_unknown_or_expired_verification_token_is_invalid(identity, mail_dir, db):
    email = new_email()
    identity.register(email, PASSWORD, "Ana")
    token = token_in(mails_to(mail_dir, email)[0])
    query_expire = "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = %s"
    with db.cursor() as cur:
        cur.execute(query_expire, (hashlib.sha256(token.encode()).hexdigest(),))
    for bad in (token, "no-such-token", ""):
        with pytest.raises(InvalidInput) as caught:
            identity.verify_email(bad)
        assert caught.value.code == "invalid-token"
    with pytest.raises(InvalidInput) as shape:
        identity.verify_email("x" * 600)
    assert "token" in shape.value.extra["errors"]


# -- password reset -------------------------------------------------------------------------------


def test_password_reset_mails_only_real_accounts_and_ends_every_session(identity, mail_dir, account, db):
    user, email = account()
    session = identity.issue_tokens(email, PASSWORD)
    unknown = new_email()
    assert identity.request_password_reset(unknown, "192.0.2.10") is None
    assert identity.request_password_reset(email.upper(), "192.0.2.10") is None
    assert mails_to(mail_dir, unknown) == []
    [message] = [m for m in mails_to(mail_dir, email) if m["Subject"] == "Reset your password"]
    token = token_in(message)

    with pytest.raises(Unprocessable) as weak:
        identity.reset_password(token, "short")
    assert "too-short" in weak.value.extra["reasons"]
    identity.reset_password(token, NEW_PASSWORD)  # the weak attempt did not use the token up

    with pytest.raises(Unauthenticated):
        identity.issue_tokens(email, PASSWORD)
    assert identity.issue_tokens(email, NEW_PASSWORD)["access_token"]
    with pytest.raises(Unauthenticated):  # the session from before the reset is over
        identity.refresh(session["refresh_token"])
    with pytest.raises(InvalidInput) as reused:
        identity.reset_password(token, "another-long-passphrase")
    assert reused.value.code == "invalid-token"
    [(details,)] = events(db, "password.reset", user["id"])
    assert details == {"sessions_ended": 1}
    requested = "SELECT host(client_address) FROM security_events WHERE kind = %s AND user_id = %s"
    assert query(db, requested, ("password_reset.requested", user["id"])) == [("192.0.2.10",)]


def test_reset_tokens_expire_after_an_hour_and_cannot_verify_an_email(identity, mail_dir, account, db):
    _, email = account()
    identity.request_password_reset(email)
    token = token_in(mails_to(mail_dir, email)[-1])
    with pytest.raises(InvalidInput):  # a reset token is not a verification token
        identity.verify_email(token)
    [(expires_in,)] = query(
        db,
        "SELECT extract(epoch FROM expires_at - created_at) FROM account_tokens WHERE token_hash = %s",
        (hashlib.sha256(token.encode()).hexdigest(),),
    )
    assert float(expires_in) == 3600


def test_reset_mails_are_limited_to_three_an_hour(identity, mail_dir, account, db):
    user, email = account()
    for _ in range(5):
        identity.request_password_reset(email)
    assert len([m for m in mails_to(mail_dir, email) if m["Subject"] == "Reset your password"]) == 3
    assert len(events(db, "password_reset.suppressed", user["id"])) == 2


# -- password change ------------------------------------------------------------------------------


def test_changing_the_password_keeps_this_session_and_ends_the_others(identity, account, db):
    user, email = account()
    this = identity.issue_tokens(email, PASSWORD)
    other = identity.issue_tokens(email, PASSWORD)
    with pytest.raises(PermissionDenied) as wrong:
        identity.change_password(actor(user["id"]), "not-the-password", NEW_PASSWORD)
    assert wrong.value.code == "invalid-credentials"
    with pytest.raises(Unprocessable) as weak:
        identity.change_password(actor(user["id"]), PASSWORD, "password1234")
    assert "too-common" in weak.value.extra["reasons"]

    identity.change_password(actor(user["id"]), PASSWORD, NEW_PASSWORD, this["refresh_token"], "192.0.2.20")
    assert identity.refresh(this["refresh_token"])["access_token"]
    with pytest.raises(Unauthenticated):
        identity.refresh(other["refresh_token"])
    assert identity.issue_tokens(email, NEW_PASSWORD)
    assert events(db, "password.changed", user["id"]) == [({"sessions_ended": 1},)]
    assert len(events(db, "password.change_failed", user["id"])) == 1


def test_without_its_refresh_token_every_session_ends_and_another_user_s_token_keeps_nothing(identity, account):
    user, email = account()
    _, other_email = account()
    mine = identity.issue_tokens(email, PASSWORD)
    theirs = identity.issue_tokens(other_email, PASSWORD)
    identity.change_password(actor(user["id"]), PASSWORD, NEW_PASSWORD, theirs["refresh_token"])
    with pytest.raises(Unauthenticated):
        identity.refresh(mine["refresh_token"])
    assert identity.refresh(theirs["refresh_token"])  # untouched


def test_changing_the_password_of_an_unknown_or_missing_actor_fails(identity):
    with pytest.raises(NotFound):
        identity.change_password(actor("00000000-0000-0000-0000-000000000000"), PASSWORD, NEW_PASSWORD)
    with pytest.raises(Unauthenticated):
        identity.change_password(None, PASSWORD, NEW_PASSWORD)


# -- lockouts -------------------------------------------------------------------------------------


def fail_logins(identity, email, times, address=None):
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            identity.issue_tokens(email, "not-the-password", client_address=address)


def test_five_failures_lock_an_account_even_against_the_right_password(identity, account, db):
    user, email = account()
    fail_logins(identity, email, 5)
    with pytest.raises(RateLimited) as locked:
        identity.issue_tokens(email, PASSWORD)
    assert locked.value.code == "rate-limited"
    assert 55 <= locked.value.extra["retry_after"] <= 60
    [(details,)] = events(db, "login.locked", user["id"])
    assert details == {"scope": "account", "seconds": 60, "lockouts": 1}


def test_an_unknown_email_locks_the_same_way(identity):
    email = new_email()
    fail_logins(identity, email, 5)
    with pytest.raises(RateLimited) as locked:
        identity.issue_tokens(email, PASSWORD)
    assert 55 <= locked.value.extra["retry_after"] <= 60


def test_a_success_resets_the_account_s_count(identity, account):
    _, email = account()
    fail_logins(identity, email, 4)
    identity.issue_tokens(email, PASSWORD)
    fail_logins(identity, email, 4)
    assert identity.issue_tokens(email, PASSWORD)


def test_twenty_failures_from_one_address_lock_the_address(identity, account, db):
    address = "203.0.113.250"
    for _ in range(5):  # 5 accounts x 4 failures: no account is locked, the address is
        fail_logins(identity, new_email(), 4, address)
    _, email = account()
    with pytest.raises(RateLimited):
        identity.issue_tokens(email, PASSWORD, client_address=address)
    assert identity.issue_tokens(email, PASSWORD, client_address="203.0.113.251")  # another address works
    locked = "SELECT details FROM security_events WHERE kind = 'login.locked' AND host(client_address) = %s"
    rows = query(db, locked, (address,))
    assert {"scope": "address", "seconds": 60, "lockouts": 1} in [row[0] for row in rows]


def test_wrong_current_passwords_count_towards_the_lockout(identity, account):
    user, email = account()
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            identity.change_password(actor(user["id"]), "not-the-password", NEW_PASSWORD)
    with pytest.raises(RateLimited):
        identity.change_password(actor(user["id"]), PASSWORD, NEW_PASSWORD)
    with pytest.raises(RateLimited):
        identity.issue_tokens(email, PASSWORD)


# -- audit ----------------------------------------------------------------------------------------


def make_admin(db, user_id):
    with db.cursor() as cur:
        cur.execute("UPDATE users SET platform_role = 'admin' WHERE id = %s", (user_id,))


def test_only_admins_read_the_audit_log_and_it_holds_no_secret(identity, account, mail_dir, db):
    admin, _ = account()
    member, member_email = account()
    fail_logins(identity, member_email, 1, "198.51.100.77")
    identity.request_password_reset(member_email)
    with pytest.raises(PermissionDenied):
        identity.audit_events(actor(member["id"]), 10)
    with pytest.raises(PermissionDenied):  # the token's claim is not enough: the current role counts
        identity.audit_events(actor(member["id"], role="admin"), 10)
    make_admin(db, admin["id"])

    page = identity.audit_events(actor(admin["id"]), 10, user_id=member["id"])
    assert [e["kind"] for e in page] == ["password_reset.requested", "login.failed"]
    assert set(page[0]) == {"id", "kind", "user_id", "client_address", "at", "details"}
    assert page[1]["client_address"] == "198.51.100.77"
    assert page[1]["user_id"] == member["id"]
    token = token_in(mails_to(mail_dir, member_email)[-1])
    assert token not in json.dumps(page)
    assert hashlib.sha256(token.encode()).hexdigest() not in json.dumps(page)

    older = identity.audit_events(actor(admin["id"]), 10, before_id=page[0]["id"], user_id=member["id"])
    assert older == page[1:]
    only = identity.audit_events(actor(admin["id"]), 10, user_id=member["id"], kind="login.failed")
    assert [e["id"] for e in only] == [page[1]["id"]]
    with pytest.raises(InvalidInput):
        identity.audit_events(actor(admin["id"]), 0)
    with pytest.raises(InvalidInput):
        identity.audit_events(actor(admin["id"]), 10, user_id="not-a-uuid")


# -- REQUIRE_VERIFIED_EMAIL -----------------------------------------------------------------------


def test_required_verification_refuses_unverified_accounts_after_the_password(
    identity_settings, fresh_amqp_uri, tmp_path
):
    settings = dataclasses.replace(identity_settings, amqp_uri=fresh_amqp_uri)
    container = start_identity(settings, tmp_path, REQUIRE_VERIFIED_EMAIL="true")
    try:
        with ClusterRpcProxy({"AMQP_URI": fresh_amqp_uri}, timeout=30) as rpc:
            email = new_email()
            rpc.identity.register(email, PASSWORD, "Ana")
            with pytest.raises(Unauthenticated):  # a wrong password says nothing about verification
                rpc.identity.issue_tokens(email, "not-the-password")
            with pytest.raises(PermissionDenied) as refused:
                rpc.identity.issue_tokens(email, PASSWORD)
            assert refused.value.code == "email-not-verified"
            rpc.identity.verify_email(token_in(mails_to(tmp_path, email)[0]))
            assert rpc.identity.issue_tokens(email, PASSWORD)["access_token"]
    finally:
        stop(container)
