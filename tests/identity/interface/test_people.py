"""People over real RPC: platform roles, experts, profiles, organizations, export and erasure, the
events they write and the tokens' claims."""

from __future__ import annotations

import json
import uuid

import pytest

from kernel.auth import Actor
from kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from kernel.events.catalog import (
    ORGANIZATION_MEMBER_ADDED,
    ORGANIZATION_MEMBER_REMOVED,
    USER_ERASED,
    USER_EXPERT_GRANTED,
    USER_EXPERT_REVOKED,
    USER_REGISTERED,
    USER_ROLE_CHANGED,
)
from services.identity.cli import create_admin
from tests.identity.interface.conftest import PASSWORD, new_email, query


def as_actor(user) -> dict:
    return Actor(user_id=user["id"]).as_dict()


def events(db, user_id, event_type) -> list[dict]:
    rows = query(
        db, "SELECT envelope FROM outbox WHERE subject = %s AND type = %s ORDER BY seq", (f"user/{user_id}", event_type)
    )
    return [row[0]["data"] for row in rows]


@pytest.fixture
def admin(identity, database_url, db):
    """A new admin, made by the create-admin command's function; returns ``(user_id, email)``."""
    email = new_email()
    line = create_admin(database_url, email, PASSWORD)
    assert "created the admin account" in line
    [(user_id,)] = query(db, "SELECT id::text FROM users WHERE email = %s AND deleted_at IS NULL", (email,))
    return {"id": user_id}, email


# -- create-admin ----------------------------------------------------------------------------


def test_create_admin_creates_a_verified_admin_with_its_events_and_is_idempotent(identity, database_url, db):
    email = new_email()
    assert "created the admin account" in create_admin(database_url, email, PASSWORD)
    [(user_id, role, verified)] = query(
        db, "SELECT id::text, platform_role, email_verified FROM users WHERE email = %s", (email,)
    )
    assert (role, verified) == ("admin", True)
    assert events(db, user_id, USER_REGISTERED)[0]["user_id"] == user_id
    assert events(db, user_id, USER_ROLE_CHANGED) == [
        {"user_id": user_id, "previous_role": "member", "role": "admin", "changed_by": "system"}
    ]
    assert "already an admin" in create_admin(database_url, email, PASSWORD)
    assert len(events(db, user_id, USER_ROLE_CHANGED)) == 1
    identity.issue_tokens(email, PASSWORD)  # the admin can sign in with that password


def test_create_admin_promotes_an_existing_account(identity, account, database_url, db):
    user, email = account()
    assert "promoted" in create_admin(database_url, email.upper(), "another-long-passphrase-here")
    assert query(db, "SELECT platform_role FROM users WHERE id = %s", (user["id"],)) == [("admin",)]
    identity.issue_tokens(email, PASSWORD)  # its password is left as it was


def test_create_admin_applies_the_password_policy(database_url, db):
    from services.identity.cli import AdminSetupError

    email = new_email()
    with pytest.raises(AdminSetupError, match="too weak"):
        create_admin(database_url, email, "short")
    assert query(db, "SELECT 1 FROM users WHERE email = %s", (email,)) == []


# -- platform roles --------------------------------------------------------------------------


def test_an_admin_sets_a_role_and_new_tokens_carry_it(identity, admin, account, verifier, db):
    admin_user, _ = admin
    user, email = account()
    answer = identity.set_platform_role(as_actor(admin_user), user["id"], "community_creator")
    assert answer == {"user_id": user["id"], "platform_role": "community_creator"}
    assert events(db, user["id"], USER_ROLE_CHANGED) == [
        {"user_id": user["id"], "previous_role": "member", "role": "community_creator", "changed_by": admin_user["id"]}
    ]
    identity.set_platform_role(as_actor(admin_user), user["id"], "community_creator")  # no change, no event
    assert len(events(db, user["id"], USER_ROLE_CHANGED)) == 1
    assert verifier.verify(identity.issue_tokens(email, PASSWORD)["access_token"]).platform_role == "community_creator"


def test_a_member_may_not_set_roles_even_with_a_forged_admin_actor(identity, account):
    member, _ = account()
    target, _ = account()
    forged = Actor(user_id=member["id"], platform_role="admin").as_dict()
    with pytest.raises(PermissionDenied):
        identity.set_platform_role(forged, target["id"], "admin")


def test_the_last_admin_cannot_be_demoted(identity, admin, db):
    admin_user, _ = admin
    others = query(db, "SELECT id::text FROM users WHERE platform_role = 'admin' AND id <> %s", (admin_user["id"],))
    for (other,) in others:  # leave this admin alone
        identity.set_platform_role(as_actor(admin_user), other, "member")
    with pytest.raises(Conflict) as caught:
        identity.set_platform_role(as_actor(admin_user), admin_user["id"], "member")
    assert caught.value.code == "last-admin"


def test_role_errors(identity, admin):
    admin_user, _ = admin
    with pytest.raises(NotFound):
        identity.set_platform_role(as_actor(admin_user), str(uuid.uuid4()), "member")
    with pytest.raises(InvalidInput):
        identity.set_platform_role(as_actor(admin_user), admin_user["id"], "emperor")


# -- experts and profiles --------------------------------------------------------------------


def test_expert_status_is_granted_shown_claimed_and_revoked(identity, admin, account, verifier, db):
    admin_user, _ = admin
    user, email = account()
    status = identity.grant_expert(as_actor(admin_user), user["id"], ["GIS", " gis ", "Cartography"])
    assert (status["fields"], status["verified_by"]) == (["GIS", "Cartography"], admin_user["id"])
    [event] = events(db, user["id"], USER_EXPERT_GRANTED)
    assert event["fields_of_expertise"] == ["GIS", "Cartography"]
    assert event["verified_by"] == admin_user["id"]

    profile = identity.get_profile(as_actor(admin_user), user["id"])
    assert profile["expert"]["fields"] == ["GIS", "Cartography"]
    assert "email" not in profile
    assert verifier.verify(identity.issue_tokens(email, PASSWORD)["access_token"]).expert is True

    identity.revoke_expert(as_actor(admin_user), user["id"])
    identity.revoke_expert(as_actor(admin_user), user["id"])  # nothing left to revoke: no second event
    assert [e["revoked_by"] for e in events(db, user["id"], USER_EXPERT_REVOKED)] == [admin_user["id"]]
    assert identity.get_profile(as_actor(user), user["id"])["expert"] is None


def test_only_admins_grant_and_fields_are_checked(identity, admin, account):
    admin_user, _ = admin
    member, _ = account()
    with pytest.raises(PermissionDenied):
        identity.grant_expert(as_actor(member), member["id"], ["GIS"])
    with pytest.raises(PermissionDenied):
        identity.revoke_expert(as_actor(member), member["id"])
    for bad in ([], ["x"] * 21, [""], "GIS"):
        with pytest.raises(InvalidInput):
            identity.grant_expert(as_actor(admin_user), member["id"], bad)


def test_profiles_need_an_actor_and_an_existing_user(identity, account):
    user, _ = account()
    with pytest.raises(Unauthenticated):
        identity.get_profile(None, user["id"])
    with pytest.raises(NotFound):
        identity.get_profile(as_actor(user), str(uuid.uuid4()))


# -- organizations ---------------------------------------------------------------------------


def test_organizations_membership_visibility_and_claims(identity, admin, account, verifier, db):
    admin_user, _ = admin
    acme = identity.create_organization(as_actor(admin_user), f"Acme {uuid.uuid4().hex[:6]}")
    employee, email = account("Eve")
    outsider, _ = account()
    added = identity.add_organization_member(as_actor(admin_user), acme["id"], employee["id"], "employee")
    assert (added["organization_id"], added["affiliation"]) == (acme["id"], "employee")
    assert events(db, employee["id"], ORGANIZATION_MEMBER_ADDED) == [
        {
            "organization_id": acme["id"],
            "user_id": employee["id"],
            "affiliation": "employee",
            "changed_by": admin_user["id"],
        }
    ]
    seen = identity.get_organization(as_actor(employee), acme["id"])
    assert [(m["user_id"], m["display_name"], m["affiliation"]) for m in seen["members"]] == [
        (employee["id"], "Eve", "employee")
    ]
    assert identity.get_organization(as_actor(admin_user), acme["id"])["name"] == acme["name"]
    with pytest.raises(NotFound):
        identity.get_organization(as_actor(outsider), acme["id"])
    actor = verifier.verify(identity.issue_tokens(email, PASSWORD)["access_token"])
    assert (actor.affiliation, actor.organization_id) == ("employee", acme["id"])

    other = identity.create_organization(as_actor(admin_user), f"Other {uuid.uuid4().hex[:6]}")
    with pytest.raises(Conflict):
        identity.add_organization_member(as_actor(admin_user), other["id"], employee["id"], "partner")
    with pytest.raises(Conflict):
        identity.create_organization(as_actor(admin_user), acme["name"].upper())

    identity.remove_organization_member(as_actor(admin_user), acme["id"], employee["id"])
    assert events(db, employee["id"], ORGANIZATION_MEMBER_REMOVED)[0]["affiliation"] == "employee"
    with pytest.raises(NotFound):
        identity.remove_organization_member(as_actor(admin_user), acme["id"], employee["id"])
    assert verifier.verify(identity.issue_tokens(email, PASSWORD)["access_token"]).affiliation == "public"


def test_only_admins_manage_organizations(identity, admin, account):
    admin_user, _ = admin
    member, _ = account()
    org = identity.create_organization(as_actor(admin_user), f"Org {uuid.uuid4().hex[:6]}")
    with pytest.raises(PermissionDenied):
        identity.create_organization(as_actor(member), "Mine")
    with pytest.raises(PermissionDenied):
        identity.add_organization_member(as_actor(member), org["id"], member["id"], "customer")
    with pytest.raises(PermissionDenied):
        identity.remove_organization_member(as_actor(member), org["id"], member["id"])
    with pytest.raises(InvalidInput):
        identity.add_organization_member(as_actor(admin_user), org["id"], member["id"], "friend")
    with pytest.raises(NotFound):
        identity.add_organization_member(as_actor(admin_user), str(uuid.uuid4()), member["id"], "customer")


# -- export and erasure ----------------------------------------------------------------------


def test_export_holds_everything_but_secrets(identity, account, db):
    user, email = account()
    identity.issue_tokens(email, PASSWORD, client_address="203.0.113.9")
    document = identity.export_me(as_actor(user))
    assert document["account"]["email"] == email
    assert document["affiliation"]["affiliation"] == "public"
    assert len(document["sessions"]) == 1
    assert document["security_events"][0]["client_address"] == "203.0.113.9"
    [(token_hash,)] = query(
        db,
        "SELECT t.token_hash FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE f.user_id = %s",
        (user["id"],),
    )
    assert token_hash not in json.dumps(document)
    assert "password" not in json.dumps(document)


def test_erasure_leaves_no_personal_data_and_refuses_the_account(identity, admin, account, db):
    admin_user, _ = admin
    user, email = account("Zoe Unique-Name")
    identity.update_me(as_actor(user), {"bio": "I live in Lyon", "avatar_url": "https://example.org/z.png"})
    pair = identity.issue_tokens(email, PASSWORD, client_address="198.51.100.23")
    org = identity.create_organization(as_actor(admin_user), f"Erase {uuid.uuid4().hex[:6]}")
    identity.add_organization_member(as_actor(admin_user), org["id"], user["id"], "customer")
    identity.grant_expert(as_actor(admin_user), user["id"], ["Lyon history"])

    with pytest.raises(PermissionDenied):
        identity.erase_me(as_actor(user), "not the password")
    identity.erase_me(as_actor(user), PASSWORD)

    with pytest.raises(NotFound):
        identity.get_me(as_actor(user))
    with pytest.raises(NotFound):
        identity.get_profile(as_actor(admin_user), user["id"])
    with pytest.raises(Unauthenticated):
        identity.issue_tokens(email, PASSWORD)
    with pytest.raises(Unauthenticated):
        identity.refresh(pair["refresh_token"])
    with pytest.raises(NotFound):
        identity.erase_me(as_actor(user), PASSWORD)

    personal = [email, "Zoe Unique-Name", "Lyon", "example.org/z.png", "198.51.100.23"]
    tables = [
        row[0]
        for row in query(
            db,
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'identity' AND table_type = 'BASE TABLE'",
        )
    ]
    for table in tables:
        for (row,) in query(db, f'SELECT row_to_json(t)::text FROM "{table}" t'):
            if user["id"] in row:
                for value in personal:
                    assert value not in row, (table, value)
    [(password_hash, deleted)] = query(
        db, "SELECT password_hash, deleted_at IS NOT NULL FROM users WHERE id = %s", (user["id"],)
    )
    assert deleted
    assert not password_hash.startswith("$argon2")
    assert query(
        db, "SELECT count(*) FROM refresh_families WHERE user_id = %s AND revoked_at IS NULL", (user["id"],)
    ) == [(0,)]
    assert query(db, "SELECT count(*) FROM organization_members WHERE user_id = %s", (user["id"],)) == [(0,)]
    assert events(db, user["id"], USER_ERASED)[0]["user_id"] == user["id"]
    assert events(db, user["id"], ORGANIZATION_MEMBER_REMOVED)[0]["changed_by"] == user["id"]
    # the address is free again
    assert identity.register(email, PASSWORD, "Zoe again")["id"] != user["id"]


def test_the_last_admin_cannot_erase_themself(identity, admin, db):
    admin_user, _ = admin
    others = query(db, "SELECT id::text FROM users WHERE platform_role = 'admin' AND id <> %s", (admin_user["id"],))
    for (other,) in others:
        identity.set_platform_role(as_actor(admin_user), other, "member")
    with pytest.raises(Conflict):
        identity.erase_me(as_actor(admin_user), PASSWORD)
