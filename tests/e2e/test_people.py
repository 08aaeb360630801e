"""People through the gateway, against the real identity process: roles, experts, profiles,
organizations, export and erasure — who may, who may not, and bad input."""

import json
import uuid

import jwt
import psycopg2
import pytest
import requests

from services.identity.cli import create_admin
from tests.support.accounts import PASSWORD, bearer, identity_stack, log_in, register

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(database_url, amqp_uri, tmp_path_factory):
    with identity_stack(database_url, amqp_uri, tmp_path_factory.mktemp("people")) as stack:
        yield stack


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture
def member(platform):
    """A signed-in member: ``(user_id, access_token, email)``."""
    url, _ = platform
    email, created = register(url)
    assert created.status_code == 201, created.text
    return created.json()["id"], log_in(url, email).json()["access_token"], email


@pytest.fixture
def admin(platform):
    """A signed-in admin made by the create-admin command's function: ``(user_id, access_token)``."""
    url, settings = platform
    email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    assert "created" in create_admin(settings.database_url, email, PASSWORD)
    token = log_in(url, email).json()["access_token"]
    assert claims(token)["role"] == "admin"
    return claims(token)["sub"], token


def call(url, method, path, token=None, body=None):
    headers = bearer(token) if token else {}
    return requests.request(method, url + path, json=body, headers=headers, timeout=15)


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"


# -- platform roles ------------------------------------------------------------------------------


def test_an_admin_sets_a_role_and_the_next_token_carries_it(platform, admin, member):
    url, _ = platform
    _, admin_token = admin
    user_id, _, email = member
    changed = call(url, "PUT", f"/v1/users/{user_id}/platform-role", admin_token, {"role": "community_creator"})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"user_id": user_id, "platform_role": "community_creator"}
    assert claims(log_in(url, email).json()["access_token"])["role"] == "community_creator"
    # the change is in the audit log, with who made it
    audit = call(url, "GET", f"/v1/admin/audit?kind=role.changed&user_id={user_id}", admin_token)
    assert audit.status_code == 200, audit.text
    (entry,) = audit.json()["items"]
    assert entry["details"] == {"previous_role": "member", "role": "community_creator", "by": admin[0]}


def test_platform_role_authorization_and_input(platform, admin, member):
    url, _ = platform
    _admin_id, admin_token = admin
    user_id, member_token, _ = member
    path = f"/v1/users/{user_id}/platform-role"
    assert_problem(call(url, "PUT", path, None, {"role": "admin"}), 401)
    assert_problem(call(url, "PUT", path, member_token, {"role": "admin"}), 403)
    assert_problem(call(url, "PUT", f"/v1/users/{uuid.uuid4()}/platform-role", admin_token, {"role": "member"}), 404)
    bad = call(url, "PUT", path, admin_token, {"role": "emperor"})
    assert_problem(bad, 400)
    assert "role" in bad.json()["errors"]
    assert_problem(call(url, "PUT", path, admin_token, {"role": "member", "extra": 1}), 400)


def test_the_last_admin_cannot_demote_themself(platform, admin):
    url, settings = platform
    admin_id, admin_token = admin
    with psycopg2.connect(settings.database_url, options="-c search_path=identity") as conn, conn.cursor() as cur:
        cur.execute("UPDATE users SET platform_role = 'member' WHERE platform_role = 'admin' AND id <> %s", (admin_id,))
    conflict = call(url, "PUT", f"/v1/users/{admin_id}/platform-role", admin_token, {"role": "member"})
    assert_problem(conflict, 409)
    assert conflict.json()["type"].endswith("last-admin")


# -- experts and public profiles -----------------------------------------------------------------


def test_expert_status_through_the_gateway(platform, admin, member):
    url, _ = platform
    admin_id, admin_token = admin
    user_id, member_token, email = member
    path = f"/v1/users/{user_id}/expert"
    assert_problem(call(url, "PUT", path, None, {"fields": ["GIS"]}), 401)
    assert_problem(call(url, "PUT", path, member_token, {"fields": ["GIS"]}), 403)
    assert_problem(call(url, "PUT", path, admin_token, {"fields": []}), 400)
    assert_problem(call(url, "PUT", path, admin_token, {"fields": ["x"] * 21}), 400)
    assert_problem(call(url, "PUT", f"/v1/users/{uuid.uuid4()}/expert", admin_token, {"fields": ["GIS"]}), 404)

    granted = call(url, "PUT", path, admin_token, {"fields": ["GIS", "Cartography"]})
    assert granted.status_code == 200, granted.text
    assert (granted.json()["fields"], granted.json()["verified_by"]) == (["GIS", "Cartography"], admin_id)
    profile = call(url, "GET", f"/v1/users/{user_id}", member_token).json()
    assert profile["expert"]["fields"] == ["GIS", "Cartography"]
    assert claims(log_in(url, email).json()["access_token"])["exp_v"] is True

    assert_problem(call(url, "DELETE", path, None), 401)
    assert_problem(call(url, "DELETE", path, member_token), 403)
    assert call(url, "DELETE", path, admin_token).status_code == 204
    assert call(url, "GET", f"/v1/users/{user_id}", member_token).json()["expert"] is None


def test_a_public_profile_never_shows_the_email(platform, member):
    url, _ = platform
    user_id, token, email = member
    profile = call(url, "GET", f"/v1/users/{user_id}", token)
    assert profile.status_code == 200
    assert set(profile.json()) == {"id", "display_name", "bio", "avatar_url", "languages", "expertise", "expert"}
    assert email not in profile.text
    assert_problem(call(url, "GET", f"/v1/users/{user_id}"), 401)
    assert_problem(call(url, "GET", f"/v1/users/{uuid.uuid4()}", token), 404)
    assert_problem(call(url, "GET", "/v1/users/not-a-uuid", token), 404)


# -- organizations -------------------------------------------------------------------------------


def test_organizations_and_their_members(platform, admin, member):
    url, _ = platform
    _, admin_token = admin
    user_id, member_token, email = member
    _, outsider_token, _ = register_and_log_in(url)
    name = f"Acme {uuid.uuid4().hex[:6]}"

    assert_problem(call(url, "POST", "/v1/organizations", None, {"name": name}), 401)
    assert_problem(call(url, "POST", "/v1/organizations", member_token, {"name": name}), 403)
    assert_problem(call(url, "POST", "/v1/organizations", admin_token, {"name": ""}), 400)
    created = call(url, "POST", "/v1/organizations", admin_token, {"name": name})
    assert created.status_code == 201, created.text
    org = created.json()
    assert set(org) == {"id", "name", "created_at"}
    assert_problem(call(url, "POST", "/v1/organizations", admin_token, {"name": name.lower()}), 409)

    members = f"/v1/organizations/{org['id']}/members"
    body = {"user_id": user_id, "affiliation": "partner"}
    assert_problem(call(url, "POST", members, None, body), 401)
    assert_problem(call(url, "POST", members, member_token, body), 403)
    assert_problem(call(url, "POST", members, admin_token, {"user_id": "nope", "affiliation": "partner"}), 400)
    assert_problem(call(url, "POST", members, admin_token, {"user_id": user_id, "affiliation": "friend"}), 400)
    assert_problem(
        call(url, "POST", members, admin_token, {"user_id": str(uuid.uuid4()), "affiliation": "partner"}), 404
    )
    added = call(url, "POST", members, admin_token, body)
    assert added.status_code == 201, added.text
    assert added.json()["affiliation"] == "partner"
    assert_problem(call(url, "POST", members, admin_token, body), 409)  # one organization per user

    token = log_in(url, email).json()["access_token"]
    assert (claims(token)["aff"], claims(token)["org"]) == ("partner", org["id"])
    for who in (admin_token, token):  # admins and its own members see it
        seen = call(url, "GET", f"/v1/organizations/{org['id']}", who)
        assert seen.status_code == 200, seen.text
        assert [(m["user_id"], m["affiliation"]) for m in seen.json()["members"]] == [(user_id, "partner")]
    assert_problem(call(url, "GET", f"/v1/organizations/{org['id']}", outsider_token), 404)
    assert_problem(call(url, "GET", f"/v1/organizations/{org['id']}"), 401)
    assert_problem(call(url, "GET", f"/v1/organizations/{uuid.uuid4()}", admin_token), 404)

    leaving = {"user_id": user_id}
    assert_problem(call(url, "DELETE", members, None, leaving), 401)
    assert_problem(call(url, "DELETE", members, token, leaving), 403)
    assert_problem(call(url, "DELETE", members, admin_token, {"user_id": "not-a-uuid"}), 400)
    assert call(url, "DELETE", members, admin_token, leaving).status_code == 204
    assert_problem(call(url, "DELETE", members, admin_token, leaving), 404)
    assert claims(log_in(url, email).json()["access_token"])["aff"] == "public"


def register_and_log_in(url):
    email, created = register(url)
    return created.json()["id"], log_in(url, email).json()["access_token"], email


# -- privacy -------------------------------------------------------------------------------------


def test_export_is_an_attachment_of_my_data(platform, member):
    url, _ = platform
    user_id, token, email = member
    exported = call(url, "GET", "/v1/me/export", token)
    assert exported.status_code == 200, exported.text
    assert exported.headers["Content-Disposition"].startswith("attachment")
    document = exported.json()
    assert (document["account"]["id"], document["account"]["email"]) == (user_id, email)
    assert document["sessions"]
    assert "token_hash" not in json.dumps(document)
    assert_problem(call(url, "GET", "/v1/me/export"), 401)


def test_erasure_ends_the_account(platform, member):
    url, settings = platform
    user_id, token, email = member
    assert_problem(call(url, "DELETE", "/v1/me", None, {"password": PASSWORD}), 401)
    assert_problem(call(url, "DELETE", "/v1/me", token, {}), 400)
    assert_problem(call(url, "DELETE", "/v1/me", token, {"password": "not the password"}), 403)

    assert call(url, "DELETE", "/v1/me", token, {"password": PASSWORD}).status_code == 204
    assert_problem(call(url, "GET", "/v1/me", token), 404)
    assert_problem(call(url, "GET", "/v1/me/export", token), 404)
    assert_problem(call(url, "GET", f"/v1/users/{user_id}", token), 404)
    assert_problem(log_in(url, email), 401)
    with psycopg2.connect(settings.database_url, options="-c search_path=identity") as conn, conn.cursor() as cur:
        cur.execute("SELECT email, display_name, bio, password_hash FROM users WHERE id = %s", (user_id,))
        stored_email, name, bio, password_hash = cur.fetchone()
    assert email != stored_email
    assert name == "Erased user"
    assert bio is None
    assert not password_hash.startswith("$argon2")
