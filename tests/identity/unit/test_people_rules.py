"""identity's pure rules about people: admins, the last admin, organization visibility, expert
fields, token standing, the tombstone, the public profile and the export document."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from kernel.errors import Conflict, PermissionDenied
from services.identity import domain, people_rules
from services.identity.domain import TokenPolicy

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
POLICY = TokenPolicy(issuer="ecommunity", audience="ecommunity-api", access_ttl_seconds=900, refresh_ttl_seconds=3600)


@pytest.mark.parametrize("role", ["member", "community_creator", None])
def test_only_an_admin_may_administer(role):
    with pytest.raises(PermissionDenied) as caught:
        people_rules.require_admin(role)
    assert caught.value.code == "admin-only"
    people_rules.require_admin("admin")


@pytest.mark.parametrize("new_role", ["member", "community_creator", None])
def test_the_last_admin_cannot_be_demoted_or_erased(new_role):
    with pytest.raises(Conflict) as caught:
        people_rules.check_admins_remain("admin", new_role, admin_count=1)
    assert caught.value.code == "last-admin"
    people_rules.check_admins_remain("admin", new_role, admin_count=2)


def test_a_role_change_that_touches_no_admin_needs_no_other_admin():
    people_rules.check_admins_remain("member", "community_creator", admin_count=0)
    people_rules.check_admins_remain("admin", "admin", admin_count=1)
    people_rules.check_admins_remain("member", None, admin_count=1)


def test_an_organization_is_seen_by_admins_and_its_own_members_only():
    org = str(uuid.uuid4())
    assert people_rules.may_see_organization("admin", None, org)
    assert people_rules.may_see_organization("member", org, org)
    assert not people_rules.may_see_organization("member", str(uuid.uuid4()), org)
    assert not people_rules.may_see_organization("community_creator", None, org)


def test_expert_fields_are_trimmed_and_deduplicated_whatever_their_case():
    assert people_rules.expert_fields([" Rust ", "rust", "Go", "", "GO", "Databases"]) == ["Rust", "Go", "Databases"]


def test_standing_is_public_without_a_membership():
    assert people_rules.standing(None, False) == people_rules.Standing("public", None, False)
    org = uuid.uuid4()
    assert people_rules.standing({"affiliation": "partner", "organization_id": org}, True) == people_rules.Standing(
        "partner", str(org), True
    )


def test_access_claims_carry_the_standing():
    claims = domain.access_claims(
        "u-1", "admin", POLICY, NOW, jti="j", affiliation="customer", organization_id="o-1", expert=True
    )
    assert (claims["role"], claims["aff"], claims["org"], claims["exp_v"]) == ("admin", "customer", "o-1", True)


def test_the_tombstone_keeps_nothing_personal():
    user_id = str(uuid.uuid4())
    stone = people_rules.tombstone(user_id)
    assert stone["email"] == f"erased-{user_id}@erased.invalid"
    assert stone["email"] == domain.normalize_email(stone["email"])
    assert not stone["password_hash"].startswith("$argon2")
    assert (stone["bio"], stone["avatar_url"], stone["languages"], stone["expertise"]) == (None, None, [], [])
    assert stone["display_name"] == people_rules.ERASED_DISPLAY_NAME


def test_the_public_profile_never_shows_the_email_or_the_role():
    user = {
        "id": uuid.uuid4(),
        "email": "ana@example.org",
        "display_name": "Ana",
        "bio": None,
        "avatar_url": None,
        "languages": ["en"],
        "expertise": ["maps"],
        "platform_role": "admin",
    }
    profile = people_rules.public_profile(user, {"expertise_fields": ["GIS"], "verified_at": NOW})
    assert "email" not in profile
    assert "platform_role" not in profile
    assert profile["expert"] == {"expertise_fields": ["GIS"], "verified_at": NOW}
    assert people_rules.public_profile(user, None)["expert"] is None


def test_the_export_is_json_and_public_without_an_organization():
    user_id = uuid.uuid4()
    document = people_rules.export_document(
        {"id": user_id, "email": "ana@example.org", "created_at": NOW},
        None,
        None,
        None,
        [{"id": uuid.uuid4(), "created_at": NOW, "revoked_at": None}],
        [{"kind": "login.succeeded", "client_address": "203.0.113.7", "occurred_at": NOW}],
        NOW,
    )
    assert json.loads(json.dumps(document)) == document
    assert document["account"]["id"] == str(user_id)
    assert document["affiliation"] == {"affiliation": "public", "organization": None, "since": None}
    assert document["expert"] is None
    assert document["sessions"][0]["created_at"] == NOW.isoformat()
