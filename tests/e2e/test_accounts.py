"""Accounts and tokens through the gateway, against the real identity process."""

import base64
import json
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.standalone.rpc import ClusterRpcProxy

from kernel.auth import sign
from tests.support.accounts import bearer, identity_stack, log_in, register

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    with identity_stack(database_url, amqp_uri, tmp_path_factory.mktemp("accounts")) as stack:
        yield stack


def test_register_log_in_and_see_my_account(platform):
    url, _ = platform
    email, created = register(url)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["email"] == email
    assert user["display_name"] == "Ada"
    assert "password" not in json.dumps(user)

    tokens = log_in(url, email)
    assert tokens.status_code == 200, tokens.text
    pair = tokens.json()
    assert pair["token_type"] == "Bearer"
    assert pair["expires_in"] > 0

    me = requests.get(url + "/v1/me", headers=bearer(pair["access_token"]), timeout=15)
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]

    changed = requests.patch(
        url + "/v1/me", json={"bio": "Mathematician"}, headers=bearer(pair["access_token"]), timeout=15
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["bio"] == "Mathematician"


def test_registration_errors(platform):
    url, _ = platform
    email, _ = register(url)
    _, duplicate = register(url, email=email)
    assert duplicate.status_code == 409
    assert duplicate.headers["Content-Type"] == "application/problem+json"
    _, weak = register(url, password="short")
    assert weak.status_code == 422
    assert weak.json()["reasons"]
    _, common = register(url, password="password1234")
    assert common.status_code == 422
    _, malformed = register(url, email="not-an-email")
    assert malformed.status_code == 400
    assert "email" in malformed.json()["errors"]


def test_wrong_credentials_say_nothing_about_the_account(platform):
    url, _ = platform
    email, _ = register(url)
    wrong_password = log_in(url, email, "not the password at all")
    unknown_email = log_in(url, f"nobody-{uuid.uuid4().hex[:6]}@example.org")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json()["detail"] == unknown_email.json()["detail"]


def test_refresh_rotates_and_reuse_ends_the_session(platform):
    url, _ = platform
    email, _ = register(url)
    first = log_in(url, email).json()
    second = requests.post(url + "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}, timeout=15)
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    # the first token again: theft is assumed, the whole family is revoked
    reused = requests.post(url + "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}, timeout=15)
    assert reused.status_code == 401
    assert reused.json()["type"].endswith("refresh-token-reused")
    newest = requests.post(url + "/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}, timeout=15)
    assert newest.status_code == 401


def test_logout_ends_the_session(platform):
    url, _ = platform
    email, _ = register(url)
    pair = log_in(url, email).json()
    out = requests.post(url + "/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}, timeout=15)
    assert out.status_code == 204
    again = requests.post(url + "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}, timeout=15)
    assert again.status_code == 401


def forged_tokens(valid):
    header, claims = jwt.get_unverified_header(valid), jwt.decode(valid, options={"verify_signature": False})
    now = int(time.time())
    other_key = Ed25519PrivateKey.generate()
    none = jwt.encode(claims, None, algorithm="none", headers={"kid": header["kid"]})
    tampered_claims = base64.urlsafe_b64encode(json.dumps({**claims, "role": "admin"}).encode()).rstrip(b"=")
    head, _, signature = valid.split(".")
    return {
        "forged signature": sign(claims, header["kid"], other_key),
        "unknown key": sign(claims, "not-a-kid", other_key),
        "alg none": none,
        "tampered claims": f"{head}.{tampered_claims.decode()}.{signature}",
        "expired (forged)": sign({**claims, "exp": now - 3600}, header["kid"], other_key),
        "garbage": "abc.def.ghi",
    }


def test_every_forged_token_is_a_401(platform):
    url, _ = platform
    email, _ = register(url)
    valid = log_in(url, email).json()["access_token"]
    missing = requests.get(url + "/v1/me", timeout=15)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    for kind, token in forged_tokens(valid).items():
        response = requests.get(url + "/v1/me", headers=bearer(token), timeout=15)
        assert response.status_code == 401, kind
        assert response.headers["Content-Type"] == "application/problem+json", kind


def test_key_rotation_keeps_old_tokens_valid(platform):
    url, settings = platform
    email, _ = register(url)
    before = log_in(url, email).json()["access_token"]
    with ClusterRpcProxy({"AMQP_URI": settings.amqp_uri}) as rpc:
        new_kid = rpc.identity.rotate_signing_key()["kid"]
    after = log_in(url, email).json()["access_token"]
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert jwt.get_unverified_header(before)["kid"] != new_kid
    for token in (before, after):  # the gateway learns the new key on its own; the old one still verifies
        assert requests.get(url + "/v1/me", headers=bearer(token), timeout=15).status_code == 200
    kids = {key["kid"] for key in requests.get(url + "/.well-known/jwks.json", timeout=15).json()["keys"]}
    assert {new_kid, jwt.get_unverified_header(before)["kid"]} <= kids


def test_the_operator_command_rotates_the_signing_key(platform):
    import os
    import subprocess
    import sys

    url, settings = platform
    before = {key["kid"] for key in requests.get(url + "/.well-known/jwks.json", timeout=15).json()["keys"]}
    env = {**os.environ, "AMQP_URI": settings.amqp_uri, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-m", "services.identity.cli", "rotate-signing-key"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    after = {key["kid"] for key in requests.get(url + "/.well-known/jwks.json", timeout=15).json()["keys"]}
    assert before < after  # a new key, and the old ones still listed
