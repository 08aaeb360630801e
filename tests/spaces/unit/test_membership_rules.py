"""The membership rules, without a broker or a database: charter terms and applications, who may
join, sponsor and when a co-optation is complete, invitations, owners, bans, the pilot group and
who succeeds an erased last owner."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kernel import errors
from services.spaces import membership_rules as rules
from services.spaces.plugins.policies import Application, MembershipTerms, Question

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
MATRIX = {"manager": frozenset({"read"}), "member": frozenset({"read"}), "guest": frozenset({"read"})}


# -- terms and applications ----------------------------------------------------------------------


def test_terms_are_read_from_the_charters_membership_section():
    charter = {
        "membership": {
            "policy": "criteria",
            "sponsors_required": 3,
            "default_role": "contributor",
            "conditions": "Be nice",
            "criteria": {
                "questions": [{"id": "why", "label": "Why?", "required": True}, {"id": "more", "label": "More"}],
                "attestations": [{"id": "rules", "text": "I accept the rules"}],
            },
        }
    }
    assert rules.terms_of(charter) == MembershipTerms(
        policy="criteria",
        default_role="contributor",
        sponsors_required=3,
        questions=(Question("why", "Why?", True), Question("more", "More", False)),
        attestations=("rules",),
    )


@pytest.mark.parametrize("charter", [None, {}, {"membership": None}, {"membership": {"sponsors_required": None}}])
def test_missing_terms_take_the_defaults(charter):
    assert rules.terms_of(charter) == MembershipTerms(policy="open", default_role="member", sponsors_required=2)


def test_an_application_may_only_answer_the_charters_questions_and_attestations():
    terms = MembershipTerms(policy="criteria", questions=(Question("why"),), attestations=("rules",))
    rules.check_application(terms, Application(answers={"why": "x"}, attestations=frozenset({"rules"})))
    with pytest.raises(errors.InvalidInput) as caught:
        rules.check_application(terms, Application(answers={"why": "x", "age": "9"}, attestations=frozenset({"x"})))
    assert set(caught.value.extra["errors"]["answers"]) == {"age"}
    assert set(caught.value.extra["errors"]["attestations"]) == {"x"}


# -- joining ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "banned", "member", "pending", "error", "code"),
    [
        ("pilot", False, False, False, errors.Conflict, "not-live"),
        ("archived", False, False, False, errors.Conflict, "not-live"),
        ("live", True, False, False, errors.PermissionDenied, "banned"),
        ("live", False, True, False, errors.Conflict, "already-member"),
        ("live", False, False, True, errors.Conflict, "request-pending"),
    ],
)
def test_a_join_needs_a_live_community_and_a_candidate_without_standing(state, banned, member, pending, error, code):
    with pytest.raises(error) as caught:
        rules.check_may_join(state, banned, member, pending)
    assert caught.value.code == code


def test_a_join_in_a_live_community_by_a_newcomer_passes():
    rules.check_may_join("live", False, False, False)


def test_only_pending_requests_change():
    rules.check_pending("pending")
    for status in ("approved", "rejected", "withdrawn"):
        with pytest.raises(errors.Conflict) as caught:
            rules.check_pending(status)
        assert caught.value.code == "request-closed"


# -- sponsorship ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "manager", "moderator", "expert", "member", "contributor"])
def test_any_member_but_a_guest_may_sponsor(role):
    assert rules.may_sponsor(role)
    rules.check_sponsor("sponsor", "candidate", role, sponsored_policy=True)


@pytest.mark.parametrize("role", ["guest", None])
def test_guests_and_non_members_may_not_sponsor(role):
    assert not rules.may_sponsor(role)
    with pytest.raises(errors.PermissionDenied) as caught:
        rules.check_sponsor("sponsor", "candidate", role, sponsored_policy=True)
    assert caught.value.code == "not-a-sponsor"


def test_a_candidate_cannot_sponsor_themself_even_as_a_member():
    with pytest.raises(errors.PermissionDenied) as caught:
        rules.check_sponsor("me", "me", "member", sponsored_policy=True)
    assert caught.value.code == "self-sponsorship"


def test_requests_of_other_policies_take_no_sponsor():
    with pytest.raises(errors.Conflict) as caught:
        rules.check_sponsor("sponsor", "candidate", "member", sponsored_policy=False)
    assert caught.value.code == "not-sponsorable"


def test_a_cooptation_is_complete_at_the_nth_sponsor():
    assert not rules.cooptation_complete(0, 2)
    assert not rules.cooptation_complete(1, 2)
    assert rules.cooptation_complete(2, 2)
    assert rules.cooptation_complete(3, 2)
    assert not rules.cooptation_complete(10, None)


def test_a_request_shows_its_answers_only_when_asked_to():
    request = {
        "id": uuid.uuid4(),
        "community_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "policy": "cooptation",
        "status": "pending",
        "message": "Hi",
        "answers": {"why": "because"},
        "attestations": ["rules"],
        "sponsors_required": 2,
        "decided_by": None,
        "reason": None,
        "created_at": NOW,
        "decided_at": None,
    }
    assert rules.request_view(request, ["s1"], show_answers=True)["answers"] == {"why": "because"}
    hidden = rules.request_view(request, ["s1"], show_answers=False)
    assert hidden["answers"] is None
    assert hidden["sponsors"] == ["s1"]
    assert hidden["message"] == "Hi"


# -- invitations ----------------------------------------------------------------------------------


def test_an_invitation_names_an_existing_role_but_owner():
    rules.check_invitation_role("member", MATRIX, "member")
    with pytest.raises(errors.Unprocessable) as caught:
        rules.check_invitation_role("owner", MATRIX, "owner")
    assert caught.value.code == "owner-not-invitable"
    with pytest.raises(errors.Unprocessable) as caught:
        rules.check_invitation_role("wizard", MATRIX, "owner")
    assert caught.value.code == "unknown-role"


@pytest.mark.parametrize(("inviter", "allowed"), [("owner", True), ("manager", True), ("member", False), (None, False)])
def test_only_owners_and_managers_invite_a_manager(inviter, allowed):
    if allowed:
        rules.check_invitation_role("manager", MATRIX, inviter)
    else:
        with pytest.raises(errors.PermissionDenied):
            rules.check_invitation_role("manager", MATRIX, inviter)


def invitation(**changes):
    values = {"accepted_at": None, "expires_at": NOW + timedelta(hours=1), "user_id": None}
    return {**values, **changes}


def test_an_open_invitation_is_accepted_by_anyone_before_it_expires():
    rules.check_invitation(invitation(), "anyone", NOW)


@pytest.mark.parametrize(
    ("changes", "at", "error", "code"),
    [
        ({"accepted_at": NOW}, NOW, errors.Conflict, "invitation-used"),
        ({}, NOW + timedelta(hours=1), errors.Conflict, "invitation-expired"),
        ({"user_id": uuid.UUID(int=7)}, NOW, errors.PermissionDenied, "invitation-for-another-user"),
    ],
)
def test_an_invitation_is_single_use_expires_and_may_be_bound(changes, at, error, code):
    with pytest.raises(error) as caught:
        rules.check_invitation(invitation(**changes), "someone-else", at)
    assert caught.value.code == code


def test_a_bound_invitation_is_accepted_by_its_user():
    bound = uuid.UUID(int=7)
    rules.check_invitation(invitation(user_id=bound), str(bound), NOW)


def test_an_invitation_expires_hours_after_it_was_made():
    assert rules.invitation_expiry(NOW, 168) == NOW + timedelta(days=7)


# -- roles, removal, bans -------------------------------------------------------------------------


def test_a_role_change_to_the_same_role_changes_nothing():
    assert rules.check_role_change("manager", "member", "member", owners=1) is False
    assert rules.check_role_change("manager", "member", "expert", owners=1) is True


@pytest.mark.parametrize(("current", "new"), [("member", "owner"), ("owner", "member"), ("owner", "owner")])
def test_only_an_owner_grants_or_takes_away_owner(current, new):
    with pytest.raises(errors.PermissionDenied) as caught:
        rules.check_role_change("manager", current, new, owners=2)
    assert caught.value.code == "owner-only"
    rules.check_role_change("owner", current, new, owners=2)


def test_the_last_owner_cannot_be_demoted():
    with pytest.raises(errors.Conflict) as caught:
        rules.check_role_change("owner", "owner", "manager", owners=1)
    assert caught.value.code == "last-owner"


def test_a_manager_removes_members_and_only_an_owner_removes_an_owner():
    rules.check_removal("manager", "member", owners=1)
    with pytest.raises(errors.PermissionDenied):
        rules.check_removal("manager", "owner", owners=2)
    rules.check_removal("owner", "owner", owners=2)
    with pytest.raises(errors.Conflict):
        rules.check_removal("owner", "owner", owners=1)


def test_the_last_owner_cannot_leave():
    with pytest.raises(errors.Conflict) as caught:
        rules.check_owner_remains("owner", 1)
    assert caught.value.code == "last-owner"
    rules.check_owner_remains("owner", 2)
    rules.check_owner_remains("member", 1)


def test_nobody_bans_themself_or_an_owner_and_only_owners_ban_managers():
    rules.check_ban("mod", "moderator", "troll", "member")
    rules.check_ban("mod", "moderator", "stranger", None)
    rules.check_ban("boss", "owner", "chief", "manager")
    with pytest.raises(errors.PermissionDenied) as caught:
        rules.check_ban("mod", "moderator", "mod", "moderator")
    assert caught.value.code == "self-ban"
    with pytest.raises(errors.PermissionDenied) as caught:
        rules.check_ban("mod", "moderator", "boss", "owner")
    assert caught.value.code == "owner-not-bannable"
    with pytest.raises(errors.PermissionDenied) as caught:
        rules.check_ban("mod", "moderator", "chief", "manager")
    assert caught.value.code == "owner-only"


# -- pilot group ----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "review", "pilot"])
def test_the_pilot_group_is_set_before_live(state):
    rules.check_pilot_state(state)


@pytest.mark.parametrize("state", ["live", "archived"])
def test_the_pilot_group_is_closed_once_live(state):
    with pytest.raises(errors.Conflict) as caught:
        rules.check_pilot_state(state)
    assert caught.value.code == "pilot-closed"


def test_pilot_changes_add_the_listed_and_remove_dropped_testers_only():
    members = {"owner": "creator", "tester1": "pilot", "tester2": "pilot", "invited": "invitation"}
    joining, leaving = rules.pilot_changes(["tester2", "new", "owner", "invited"], members)
    assert joining == ["new"]
    assert leaving == ["tester1"]


# -- erasure ----------------------------------------------------------------------------------------


def test_the_earliest_manager_succeeds_an_erased_last_owner():
    others = [
        {"user_id": "m1", "role": "member", "joined_at": NOW},
        {"user_id": "g2", "role": "manager", "joined_at": NOW + timedelta(days=2)},
        {"user_id": "g1", "role": "manager", "joined_at": NOW + timedelta(days=1)},
    ]
    assert rules.successor(others) == "g1"


def test_without_a_manager_the_earliest_member_succeeds():
    others = [
        {"user_id": "b", "role": "member", "joined_at": NOW + timedelta(days=1)},
        {"user_id": "a", "role": "guest", "joined_at": NOW},
    ]
    assert rules.successor(others) == "a"
    assert rules.successor([]) is None


def test_ids_that_cannot_be_uuids_are_not_found():
    assert rules.uuid_or_none("nope") is None
    assert rules.uuid_or_none(None) is None
    some = uuid.uuid4()
    assert rules.uuid_or_none(str(some).upper()) == str(some)
    with pytest.raises(errors.NotFound) as caught:
        rules.uuid_or_not_found("../etc", "No such thing.", "thing-not-found")
    assert caught.value.code == "thing-not-found"
