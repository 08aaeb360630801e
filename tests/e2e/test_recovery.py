"""Email verification, password reset and change, lockouts and the audit log — through the gateway,
against the real identity process, whose mail goes to a folder of this module's own."""

from __future__ import annotations

import base64
import http.client
import json
import re
import uuid
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import requests

from tests.support.accounts import PASSWORD, identity_stack
from tests.support.records import schema_connection

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "amber heron folds kites"
#: a loopback address of the address-lockout test's own, so the others (127.0.0.1) are not locked
OTHER_CLIENT = "127.0.0.2"


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    mail_dir = tmp_path_factory.mktemp("mail")
    logs = tmp_path_factory.mktemp("recovery")
    try:
        with identity_stack(database_url, amqp_uri, logs, identity_env={"MAIL_DIR": str(mail_dir)}) as (url, _):
            yield url, mail_dir
    finally:
        with identity_db(database_url) as conn, conn.cursor() as cur:  # leave no locked address behind
            cur.execute("DELETE FROM login_throttles WHERE key LIKE 'address:127.%'")


def identity_db(database_url):
    return schema_connection(database_url, "identity")


@pytest.fixture
def db(database_url):
    conn = identity_db(database_url)
    yield conn
    conn.close()


def register(url, email=None, password=PASSWORD):
    email = email or f"ada-{uuid.uuid4().hex[:8]}@example.org"
    body = {"email": email, "password": password, "display_name": "Ada"}
    response = requests.post(url + "/v1/auth/register", json=body, timeout=15)
    assert response.status_code == 201, response.text
    return email, response.json()


def log_in(url, email, password=PASSWORD):
    return requests.post(url + "/v1/auth/token", json={"email": email, "password": password}, timeout=15)


def post(url, path, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(url + path, json=body, headers=headers, timeout=15)


def mails_to(mail_dir: Path, address: str, subject: str | None = None) -> list:
    parser = BytesParser(policy=policy.default)
    messages = [parser.parsebytes(path.read_bytes()) for path in sorted(mail_dir.glob("*.eml"))]
    return [m for m in messages if m["To"] == address and (subject is None or m["Subject"] == subject)]


def token_in(message) -> str:
    found = re.search(r"^Token: (\S+)$", message.get_content(), re.MULTILINE)
    assert found, message.get_content()
    return found.group(1)


def problem_type(response) -> str:
    assert response.headers["Content-Type"] == "application/problem+json", response.text
    return response.json()["type"].rpartition(":")[2]


# -- email verification ---------------------------------------------------------------------------


def test_the_mailed_token_verifies_the_email_once(platform):
    url, mail_dir = platform
    email, user = register(url)
    assert user["email_verified"] is False
    access = log_in(url, email).json()["access_token"]  # by default an unverified account signs in
    [message] = mails_to(mail_dir, email)
    token = token_in(message)

    assert post(url, "/v1/auth/verify-email", {"token": token}).status_code == 204
    me = requests.get(url + "/v1/me", headers={"Authorization": f"Bearer {access}"}, timeout=15)
    assert me.json()["email_verified"] is True
    again = post(url, "/v1/auth/verify-email", {"token": token})
    assert again.status_code == 400
    assert problem_type(again) == "invalid-token"


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": 42}, {"token": "x", "email": "a@b.org"}])
def test_verify_email_refuses_a_malformed_body(platform, body):
    url, _ = platform
    response = post(url, "/v1/auth/verify-email", body)
    assert response.status_code == 400
    assert problem_type(response) == "invalid-input"


# -- password reset -------------------------------------------------------------------------------


def test_password_reset_answers_alike_mails_only_a_real_account_and_ends_its_sessions(platform):
    url, mail_dir = platform
    email, _ = register(url)
    old_session = log_in(url, email).json()
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    real = post(url, "/v1/auth/password-reset", {"email": email})
    fake = post(url, "/v1/auth/password-reset", {"email": unknown})
    assert real.status_code == fake.status_code == 202
    assert real.content == fake.content == b""
    assert mails_to(mail_dir, unknown) == []
    [message] = mails_to(mail_dir, email, "Reset your password")
    token = token_in(message)

    weak = post(url, "/v1/auth/password-reset/confirm", {"token": token, "password": "short"})
    assert weak.status_code == 422
    assert "too-short" in weak.json()["reasons"]
    done = post(url, "/v1/auth/password-reset/confirm", {"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 204, done.text

    assert log_in(url, email).status_code == 401
    assert log_in(url, email, NEW_PASSWORD).status_code == 200
    ended = post(url, "/v1/auth/refresh", {"refresh_token": old_session["refresh_token"]})
    assert ended.status_code == 401
    reused = post(url, "/v1/auth/password-reset/confirm", {"token": token, "password": "yet another passphrase"})
    assert reused.status_code == 400
    assert problem_type(reused) == "invalid-token"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/auth/password-reset", {}),
        ("/v1/auth/password-reset", {"email": "not-an-email"}),
        ("/v1/auth/password-reset", {"email": "a@example.org", "extra": 1}),
        ("/v1/auth/password-reset/confirm", {"token": "abc"}),
        ("/v1/auth/password-reset/confirm", {"password": PASSWORD}),
        ("/v1/auth/password-reset/confirm", {"token": "abc", "password": "x" * 1025}),
    ],
)
def test_password_reset_refuses_malformed_bodies(platform, path, body):
    url, _ = platform
    response = post(url, path, body)
    assert response.status_code == 400
    assert problem_type(response) == "invalid-input"


def test_an_unknown_reset_token_is_invalid(platform):
    url, _ = platform
    response = post(url, "/v1/auth/password-reset/confirm", {"token": "not-a-token", "password": NEW_PASSWORD})
    assert response.status_code == 400
    assert problem_type(response) == "invalid-token"


# -- password change ------------------------------------------------------------------------------


def test_changing_my_password_keeps_this_session_and_ends_the_others(platform):
    url, _ = platform
    email, _ = register(url)
    this = log_in(url, email).json()
    other = log_in(url, email).json()
    access = this["access_token"]

    nobody = post(url, "/v1/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert nobody.status_code == 401
    wrong = post(url, "/v1/me/password", {"current_password": "not it at all", "new_password": NEW_PASSWORD}, access)
    assert wrong.status_code == 403
    assert problem_type(wrong) == "invalid-credentials"
    weak = post(url, "/v1/me/password", {"current_password": PASSWORD, "new_password": "password1234"}, access)
    assert weak.status_code == 422
    assert problem_type(weak) == "weak-password"
    malformed = post(url, "/v1/me/password", {"current_password": PASSWORD}, access)
    assert malformed.status_code == 400

    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "refresh_token": this["refresh_token"]}
    assert post(url, "/v1/me/password", body, access).status_code == 204
    assert post(url, "/v1/auth/refresh", {"refresh_token": this["refresh_token"]}).status_code == 200
    assert post(url, "/v1/auth/refresh", {"refresh_token": other["refresh_token"]}).status_code == 401
    assert log_in(url, email).status_code == 401
    assert log_in(url, email, NEW_PASSWORD).status_code == 200


# -- lockouts -------------------------------------------------------------------------------------


def test_five_failures_lock_the_account_with_a_retry_after(platform):
    url, _ = platform
    email, _ = register(url)
    for _ in range(5):
        assert log_in(url, email, "not the password at all").status_code == 401
    locked = log_in(url, email)  # even the right password waits
    assert locked.status_code == 429
    assert problem_type(locked) == "rate-limited"
    assert 55 <= int(locked.headers["Retry-After"]) <= 60
    # an unknown address gets exactly the same treatment
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    for _ in range(5):
        assert log_in(url, unknown, "not the password at all").status_code == 401
    same = log_in(url, unknown)
    assert (same.status_code, same.json()["detail"]) == (429, locked.json()["detail"])


def log_in_from(url, source, email, password):
    """POST /v1/auth/token from the local address ``source`` (the gateway sees it as remote_addr)."""
    host, _, port = url.removeprefix("http://").partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=15, source_address=(source, 0))
    try:
        body = json.dumps({"email": email, "password": password})
        conn.request("POST", "/v1/auth/token", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_twenty_failures_from_one_address_lock_the_address(platform):
    url, _ = platform
    email, _ = register(url)
    for _ in range(5):  # four failures on each of five emails: no account is locked, the address is
        stranger = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
        for _ in range(4):
            assert log_in_from(url, OTHER_CLIENT, stranger, "not the password")[0] == 401
    status, headers, _ = log_in_from(url, OTHER_CLIENT, email, PASSWORD)
    assert status == 429
    assert 55 <= int(headers["Retry-After"]) <= 60
    assert log_in(url, email).status_code == 200  # from another address the account is fine


# -- audit ----------------------------------------------------------------------------------------


def test_only_admins_read_the_audit_log(platform, db):
    url, _ = platform
    admin_email, admin = register(url)
    member_email, member = register(url)
    assert log_in(url, member_email, "not the password at all").status_code == 401
    member_token = log_in(url, member_email).json()["access_token"]
    with db.cursor() as cur:  # the real role management is another issue's
        cur.execute("UPDATE users SET platform_role = 'admin' WHERE id = %s", (admin["id"],))
    admin_token = log_in(url, admin_email).json()["access_token"]

    def audit(token=None, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(url + "/v1/admin/audit", params=params, headers=headers, timeout=15)

    assert audit().status_code == 401
    forbidden = audit(member_token)
    assert forbidden.status_code == 403
    assert problem_type(forbidden) == "forbidden"

    first = audit(admin_token, user_id=member["id"], limit=1)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [item["kind"] for item in page["items"]] == ["login.succeeded"]
    assert set(page["items"][0]) == {"id", "kind", "user_id", "client_address", "at", "details"}
    assert page["items"][0]["client_address"] == "127.0.0.1"
    second = audit(admin_token, user_id=member["id"], limit=1, cursor=page["next_cursor"]).json()
    assert [item["kind"] for item in second["items"]] == ["login.failed"]
    assert second["next_cursor"] is None
    failed = audit(admin_token, user_id=member["id"], kind="login.failed").json()
    assert [item["id"] for item in failed["items"]] == [second["items"][0]["id"]]
    assert PASSWORD not in json.dumps(failed)
    assert "not the password" not in json.dumps(failed)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"cursor": "***"},
        {"cursor": base64.urlsafe_b64encode(b'{"id":"x"}').decode().rstrip("=")},
        {"user_id": "not-a-uuid"},
        {"kind": ""},
        {"colour": "blue"},
    ],
)
def test_the_audit_log_refuses_bad_queries(platform, db, params):
    url, _ = platform
    email, admin = register(url)
    with db.cursor() as cur:
        cur.execute("UPDATE users SET platform_role = 'admin' WHERE id = %s", (admin["id"],))
    token = log_in(url, email).json()["access_token"]
    response = requests.get(
        url + "/v1/admin/audit", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=15
    )
    assert response.status_code == 400, (params, response.text)
    assert problem_type(response) == "invalid-input"
