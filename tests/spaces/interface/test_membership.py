"""Membership over real RPC, RabbitMQ and PostgreSQL: each join policy end to end, sponsorships,
invitations, bans, owners, the pilot group, the members list's keyset pages, and identity's events
(known users, erasure). Each test checks the events in ``spaces.outbox`` and the access read model
(``spaces.access_members``) the same transaction wrote."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from kombu import Connection, Producer

from kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unprocessable
from kernel.events.catalog import (
    INVITATION_SENT,
    JOIN_REQUEST_APPROVED,
    JOIN_REQUEST_REJECTED,
    JOIN_REQUEST_SPONSORED,
    JOIN_REQUEST_SUBMITTED,
    MEMBER_BANNED,
    MEMBER_JOINED,
    MEMBER_LEFT,
    MEMBER_REMOVED,
    MEMBER_ROLE_CHANGED,
    MEMBER_UNBANNED,
    USER_ERASED,
    USER_REGISTERED,
)
from kernel.events.envelope import CONTENT_TYPE, make_envelope
from kernel.events.topology import EXCHANGE
from kernel.testing.waiting import eventually
from tests.spaces.interface.conftest import events, make_actor, query

CRITERIA = {
    "policy": "criteria",
    "sponsors_required": None,
    "default_role": "member",
    "conditions": "Practitioners only",
    "criteria": {
        "questions": [
            {"id": "why", "label": "Why do you want to join?", "required": True},
            {"id": "links", "label": "Links to your work", "required": False},
        ],
        "attestations": [{"id": "rules", "text": "I accept the rules"}],
    },
}


def refused(error, code, call, *args):
    """Call ``call(*args)``, expecting ``error`` with ``code``; returns the error."""
    with pytest.raises(error) as caught:
        call(*args)
    assert caught.value.code == code, (caught.value.code, caught.value.detail)
    return caught.value


def facts(db, event_type, community_id) -> list[dict]:
    return events(db, event_type, subject=f"community/{community_id}")


MEMBER_EVENTS = [MEMBER_JOINED, MEMBER_LEFT, MEMBER_REMOVED, MEMBER_BANNED, MEMBER_UNBANNED, MEMBER_ROLE_CHANGED]


def standing(db, community_id, user_id) -> tuple | None:
    """The user's row in the access read model, ``(role, banned)``, after checking that it is in
    step with the outbox: its revision is that of the newest event about the user's standing."""
    rows = query(
        db,
        "SELECT role, banned, revision FROM access_members WHERE community_id = %s AND user_id = %s",
        (community_id, user_id),
    )
    [(newest,)] = query(
        db,
        "SELECT max((envelope::jsonb -> 'data' ->> 'revision')::bigint) FROM outbox"
        " WHERE subject = %s AND type = ANY(%s) AND envelope::jsonb -> 'data' ->> 'user_id' = %s",
        (f"community/{community_id}", MEMBER_EVENTS, user_id),
    )
    if not rows:
        assert newest is None
        return None
    assert rows[0][2] == newest, (rows, newest)
    return rows[0][:2]


def uid(actor) -> str:
    return actor["user_id"]


@pytest.fixture
def publish(spaces_settings):
    """Publish an identity event (a CloudEvents envelope) on the platform's exchange."""

    def send(event_type: str, data: dict) -> None:
        envelope = make_envelope("identity", event_type, f"user/{data['user_id']}", data)
        with Connection(spaces_settings.amqp_uri) as conn:
            Producer(conn).publish(
                json.dumps(envelope),
                exchange=EXCHANGE,
                routing_key=event_type,
                content_type=CONTENT_TYPE,
                content_encoding="utf-8",
                delivery_mode=2,
            )

    return send


@pytest.fixture
def registered(publish, db):
    """``registered()``: a new actor whose ``user.registered`` the service has applied."""

    def make(role: str = "member") -> dict:
        person = make_actor(role)
        now = datetime.now(UTC).isoformat()
        publish(USER_REGISTERED, {"user_id": uid(person), "display_name": "Ana", "locale": "en", "registered_at": now})
        eventually(lambda: query(db, "SELECT 1 FROM known_users WHERE user_id = %s", (uid(person),)), what="known")
        return person

    return make


@pytest.fixture
def live(spaces, community):
    """``live(kind, **data)``: a live community and its owner."""

    def make(kind: str = "interest", **data) -> tuple[dict, str]:
        owner = make_actor("community_creator")
        return owner, community(kind=kind, owner=owner, state="live", **data)["id"]

    return make


@pytest.fixture
def member_of(spaces):
    """``member_of(owner, community_id, role)``: a new user made a member by invitation."""

    def make(owner: dict, community_id: str, role: str = "member") -> dict:
        person = make_actor()
        token = spaces.create_invitation(owner, community_id, {"role": role})["token"]
        spaces.accept_invitation(person, token)
        return person

    return make


# -- open --------------------------------------------------------------------------------------------


def test_open_makes_a_member_at_once_with_the_default_role(spaces, live, db):
    _, cid = live("interest")
    candidate = make_actor()
    joined = spaces.join(candidate, cid, {})
    assert joined["status"] == "member"
    assert joined["member"]["user_id"] == uid(candidate)
    assert (joined["member"]["role"], joined["member"]["via"]) == ("member", "open")
    joined = facts(db, MEMBER_JOINED, cid)[-1]
    assert joined.pop("revision") > facts(db, MEMBER_JOINED, cid)[0]["revision"]  # after the creator's
    assert joined == {"community_id": cid, "user_id": uid(candidate), "role": "member", "via": "open"}
    assert standing(db, cid, uid(candidate)) == ("member", False)
    refused(Conflict, "already-member", spaces.join, candidate, cid, None)


def test_joining_needs_a_live_community_that_the_candidate_sees(spaces, community, live):
    owner = make_actor("community_creator")
    archived = community(kind="interest", owner=owner, state="archived")["id"]
    refused(Conflict, "not-live", spaces.join, make_actor(), archived, {})
    draft = community(kind="interest")["id"]
    refused(NotFound, "community-not-found", spaces.join, make_actor(), draft, {})
    refused(NotFound, "community-not-found", spaces.join, make_actor(), str(uuid.uuid4()), {})
    refused(NotFound, "community-not-found", spaces.join, make_actor(), "not-a-uuid", {})
    _, cid = live("interest")
    refused(InvalidInput, "invalid-input", spaces.join, make_actor(), cid, {"message": "x" * 2001})
    refused(InvalidInput, "invalid-input", spaces.join, make_actor(), cid, {"answers": {"why": "no such question"}})


def test_concurrent_joins_and_last_sponsorships_take_effect_once(spaces, live, member_of, db):
    _, open_cid = live("interest")
    twice = make_actor()
    calls = [spaces.join.call_async(twice, open_cid, {}) for _ in range(4)]
    outcomes = []
    for call in calls:
        try:
            outcomes.append(call.result()["status"])
        except Conflict as exc:
            outcomes.append(exc.code)
    assert sorted(outcomes) == ["already-member"] * 3 + ["member"]
    assert standing(db, open_cid, uid(twice)) == ("member", False)

    owner, cid = live("practice")
    sponsors = [member_of(owner, cid) for _ in range(3)]
    request = spaces.join(make_actor(), cid, {})["request"]
    calls = [spaces.sponsor_request.call_async(sponsor, request["id"]) for sponsor in sponsors]
    results = []
    for call in calls:
        try:
            results.append(call.result()["status"])
        except Conflict as exc:
            results.append(exc.code)
    assert sorted(results) == ["approved", "pending", "request-closed"]
    assert len(facts(db, JOIN_REQUEST_SPONSORED, cid)) == 2
    assert len(facts(db, JOIN_REQUEST_APPROVED, cid)) == 1
    assert [e["via"] for e in facts(db, MEMBER_JOINED, cid)].count("cooptation") == 1


def test_ids_that_are_not_uuids_are_not_found(spaces, live):
    owner, cid = live("interest")
    for call, args in [
        (spaces.list_members, (owner, "x")),
        (spaces.list_join_requests, (owner, "x")),
        (spaces.create_invitation, (owner, "x", {"role": "member"})),
        (spaces.set_member_role, (owner, cid, "x", "member")),
        (spaces.remove_member, (owner, cid, "x")),
        (spaces.ban, (owner, cid, "x", "Spam")),
        (spaces.unban, (owner, cid, "x")),
        (spaces.set_pilot_group, (owner, "x", [])),
        (spaces.sponsor_request, (owner, "x")),
        (spaces.reject_request, (owner, "x", "No")),
    ]:
        with pytest.raises(NotFound):
            call(*args)


# -- request -----------------------------------------------------------------------------------------


def test_request_is_approved_or_rejected_by_a_manager(spaces, live, member_of, db):
    owner, cid = live("interest", charter={"membership": {**CRITERIA, "policy": "request", "criteria": {}}})
    plain = member_of(owner, cid)
    first, second = make_actor(), make_actor()
    pending = spaces.join(first, cid, {"message": "Let me in"})
    assert pending["status"] == "pending"
    request = pending["request"]
    assert (request["policy"], request["status"], request["message"]) == ("request", "pending", "Let me in")
    assert facts(db, JOIN_REQUEST_SUBMITTED, cid)[-1] == {
        "request_id": request["id"],
        "community_id": cid,
        "user_id": uid(first),
        "policy": "request",
    }
    refused(Conflict, "request-pending", spaces.join, first, cid, {})
    assert standing(db, cid, uid(first)) is None

    # a member who does not manage sees no request of this policy and decides none
    assert spaces.list_join_requests(plain, cid) == {"items": [], "next": None}
    refused(PermissionDenied, "missing-permission", spaces.approve_request, plain, request["id"])

    approved = spaces.approve_request(owner, request["id"])
    assert (approved["status"], approved["decided_by"]) == ("approved", uid(owner))
    assert facts(db, JOIN_REQUEST_APPROVED, cid)[-1]["decided_by"] == uid(owner)
    assert facts(db, MEMBER_JOINED, cid)[-1] == {**facts(db, MEMBER_JOINED, cid)[-1], "via": "request"}
    assert standing(db, cid, uid(first)) == ("member", False)
    refused(Conflict, "request-closed", spaces.approve_request, owner, request["id"])

    other = spaces.join(second, cid, {})["request"]
    refused(InvalidInput, "invalid-input", spaces.reject_request, owner, other["id"], "  ")
    rejected = spaces.reject_request(owner, other["id"], "Not now")
    assert (rejected["status"], rejected["reason"]) == ("rejected", "Not now")
    assert facts(db, JOIN_REQUEST_REJECTED, cid)[-1]["reason"] == "Not now"
    refused(Conflict, "request-closed", spaces.reject_request, owner, other["id"], "Again")
    assert standing(db, cid, uid(second)) is None
    assert [r["status"] for r in spaces.list_join_requests(owner, cid, "rejected")["items"]] == ["rejected"]
    refused(NotFound, "request-not-found", spaces.approve_request, owner, "nope")
    refused(NotFound, "request-not-found", spaces.approve_request, owner, str(uuid.uuid4()))


# -- co-optation ---------------------------------------------------------------------------------------


def test_cooptation_admits_at_the_nth_sponsor_and_counts_each_sponsor_once(spaces, live, member_of, db):
    owner, cid = live("practice")
    first, guest = member_of(owner, cid), member_of(owner, cid, "guest")
    candidate = make_actor()
    request = spaces.join(candidate, cid, {"message": "I practise"})["request"]
    assert (request["policy"], request["sponsors_required"], request["sponsors"]) == ("cooptation", 2, [])

    refused(PermissionDenied, "self-sponsorship", spaces.sponsor_request, candidate, request["id"])
    refused(PermissionDenied, "not-a-sponsor", spaces.sponsor_request, guest, request["id"])
    refused(PermissionDenied, "not-a-sponsor", spaces.sponsor_request, make_actor(), request["id"])

    once = spaces.sponsor_request(first, request["id"])
    assert (once["status"], once["sponsors"], once["answers"]) == ("pending", [uid(first)], None)
    again = spaces.sponsor_request(first, request["id"])
    assert again == once
    assert facts(db, JOIN_REQUEST_SPONSORED, cid) == [
        {"request_id": request["id"], "community_id": cid, "sponsor_id": uid(first), "sponsors": 1, "required": 2}
    ]
    assert standing(db, cid, uid(candidate)) is None

    # members (not guests) see the pending co-optation requests they may sponsor, without answers
    [seen] = spaces.list_join_requests(first, cid)["items"]
    assert (seen["id"], seen["sponsors"], seen["answers"]) == (request["id"], [uid(first)], None)
    refused(PermissionDenied, "missing-permission", spaces.list_join_requests, guest, cid)
    refused(PermissionDenied, "missing-permission", spaces.list_join_requests, first, cid, "approved")

    admitted = spaces.sponsor_request(owner, request["id"])
    assert (admitted["status"], admitted["decided_by"]) == ("approved", None)
    assert admitted["sponsors"] == [uid(first), uid(owner)]
    assert facts(db, JOIN_REQUEST_SPONSORED, cid)[-1]["sponsors"] == 2
    assert facts(db, JOIN_REQUEST_APPROVED, cid) == [
        {"request_id": request["id"], "community_id": cid, "user_id": uid(candidate), "decided_by": None}
    ]
    joined = facts(db, MEMBER_JOINED, cid)[-1]
    assert (joined["user_id"], joined["role"], joined["via"]) == (uid(candidate), "member", "cooptation")
    assert standing(db, cid, uid(candidate)) == ("member", False)
    late = member_of(owner, cid)
    refused(Conflict, "request-closed", spaces.sponsor_request, late, request["id"])


def test_a_request_in_a_community_the_caller_cannot_see_does_not_exist(spaces, live, member_of):
    owner, cid = live("practice")  # no public space: a banned user does not see it
    troll = member_of(owner, cid)
    request = spaces.join(make_actor(), cid, {})["request"]
    spaces.ban(owner, cid, uid(troll), "Spam")
    refused(NotFound, "request-not-found", spaces.sponsor_request, troll, request["id"])
    refused(NotFound, "community-not-found", spaces.list_join_requests, troll, cid)


def test_managers_see_requests_page_by_page(spaces, live):
    owner, cid = live("practice")
    made = [spaces.join(make_actor(), cid, {"message": f"n{i}"})["request"]["id"] for i in range(3)]
    seen, after = [], None
    while True:
        page = spaces.list_join_requests(owner, cid, "pending", 2, after)
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == made
    refused(InvalidInput, "invalid-input", spaces.list_join_requests, owner, cid, "pending", 2, {"x": 1})
    refused(InvalidInput, "invalid-input", spaces.list_join_requests, owner, cid, "lost")


# -- criteria ----------------------------------------------------------------------------------------


def test_criteria_needs_every_required_answer_and_attestation(spaces, live, member_of, db):
    owner, cid = live("practice", charter={"membership": CRITERIA})
    plain = member_of(owner, cid)
    candidate = make_actor()
    problem = refused(Unprocessable, "criteria-not-met", spaces.join, candidate, cid, {"answers": {"why": " "}})
    assert problem.extra["errors"] == {
        "answers": {"why": ["An answer is required."]},
        "attestations": {"rules": ["This must be attested."]},
    }
    refused(InvalidInput, "invalid-input", spaces.join, candidate, cid, {"attestations": ["rules", "other"]})
    assert facts(db, JOIN_REQUEST_SUBMITTED, cid) == []

    application = {"answers": {"why": "I teach this"}, "attestations": ["rules"], "message": "Hello"}
    request = spaces.join(candidate, cid, application)["request"]
    assert (request["policy"], request["answers"], request["attestations"]) == (
        "criteria",
        {"why": "I teach this"},
        ["rules"],
    )
    assert spaces.list_join_requests(plain, cid)["items"] == []  # not a co-optation request
    [listed] = spaces.list_join_requests(owner, cid)["items"]
    assert listed["answers"] == {"why": "I teach this"}
    refused(Conflict, "not-sponsorable", spaces.sponsor_request, plain, request["id"])
    assert spaces.approve_request(owner, request["id"])["status"] == "approved"
    assert facts(db, MEMBER_JOINED, cid)[-1]["via"] == "criteria"
    assert standing(db, cid, uid(candidate)) == ("member", False)


# -- invitations ---------------------------------------------------------------------------------------


def test_invitation_only_communities_admit_by_single_use_invitations(spaces, live, db):
    owner, cid = live("project")
    refused(PermissionDenied, "invitation-only", spaces.join, make_actor(), cid, {})
    made = spaces.create_invitation(owner, cid, {"role": "contributor", "email": "bo@example.org"})
    assert (made["role"], made["email"], made["user_id"]) == ("contributor", "bo@example.org", None)
    token = made["token"]
    assert len(token) >= 40
    [sent] = facts(db, INVITATION_SENT, cid)
    assert sent == {
        "invitation_id": made["id"],
        "community_id": cid,
        "role": "contributor",
        "invited_by": uid(owner),
        "user_id": None,
        "expires_at": sent["expires_at"],
    }
    assert token not in json.dumps(sent)
    [(stored,)] = query(db, "SELECT encode(token_hash, 'hex') FROM invitations WHERE id = %s", (made["id"],))
    assert stored != token
    assert len(stored) == 64

    guest = make_actor()
    member = spaces.accept_invitation(guest, token)
    assert (member["user_id"], member["role"], member["via"]) == (uid(guest), "contributor", "invitation")
    assert facts(db, MEMBER_JOINED, cid)[-1]["via"] == "invitation"
    assert standing(db, cid, uid(guest)) == ("contributor", False)
    refused(Conflict, "invitation-used", spaces.accept_invitation, make_actor(), token)
    refused(NotFound, "invitation-not-found", spaces.accept_invitation, make_actor(), "no-such-token")
    refused(NotFound, "invitation-not-found", spaces.accept_invitation, make_actor(), None)
    refused(
        Conflict,
        "already-member",
        spaces.accept_invitation,
        guest,
        spaces.create_invitation(owner, cid, {"role": "member"})["token"],
    )


def test_invitations_expire_and_may_be_bound_to_a_user(spaces, live, registered, db):
    owner, cid = live("project")
    expired = spaces.create_invitation(owner, cid, {"role": "member", "expires_in_hours": 1})
    query(
        db,
        "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = %s RETURNING id",
        (expired["id"],),
    )
    refused(Conflict, "invitation-expired", spaces.accept_invitation, make_actor(), expired["token"])

    invitee = registered()
    bound = spaces.create_invitation(owner, cid, {"role": "member", "user_id": uid(invitee)})
    assert bound["user_id"] == uid(invitee)
    assert facts(db, INVITATION_SENT, cid)[-1]["user_id"] == uid(invitee)
    refused(PermissionDenied, "invitation-for-another-user", spaces.accept_invitation, make_actor(), bound["token"])
    assert spaces.accept_invitation(invitee, bound["token"])["role"] == "member"

    unknown = {"role": "member", "user_id": str(uuid.uuid4())}
    refused(Unprocessable, "unknown-user", spaces.create_invitation, owner, cid, unknown)
    refused(Unprocessable, "owner-not-invitable", spaces.create_invitation, owner, cid, {"role": "owner"})
    refused(Unprocessable, "unknown-role", spaces.create_invitation, owner, cid, {"role": "wizard"})
    for hours in (0, 721):
        refused(
            InvalidInput,
            "invalid-input",
            spaces.create_invitation,
            owner,
            cid,
            {"role": "member", "expires_in_hours": hours},
        )


def test_who_may_invite_and_to_which_role(spaces, live, member_of):
    owner, cid = live("project")
    lead, contributor = member_of(owner, cid, "lead"), member_of(owner, cid, "contributor")
    refused(PermissionDenied, "missing-permission", spaces.create_invitation, contributor, cid, {"role": "member"})
    refused(PermissionDenied, "manager-invitation", spaces.create_invitation, lead, cid, {"role": "manager"})
    assert spaces.create_invitation(lead, cid, {"role": "reviewer"})["role"] == "reviewer"
    manager = member_of(owner, cid, "manager")
    assert spaces.create_invitation(manager, cid, {"role": "manager"})["role"] == "manager"


# -- bans ----------------------------------------------------------------------------------------------


def test_a_banned_user_cannot_join_even_an_open_community_until_unbanned(spaces, live, member_of, db):
    owner, cid = live("interest")
    moderator, plain = member_of(owner, cid, "moderator"), member_of(owner, cid)
    troll = make_actor()
    spaces.join(troll, cid, {})
    refused(InvalidInput, "invalid-input", spaces.ban, moderator, cid, uid(troll), "")
    refused(PermissionDenied, "missing-permission", spaces.ban, plain, cid, uid(troll), "Spam")
    banned = spaces.ban(moderator, cid, uid(troll), "Spam")
    assert (banned["user_id"], banned["reason"], banned["banned_by"]) == (uid(troll), "Spam", uid(moderator))
    assert facts(db, MEMBER_BANNED, cid)[-1]["reason"] == "Spam"
    assert standing(db, cid, uid(troll)) == (None, True)
    assert query(db, "SELECT 1 FROM members WHERE community_id = %s AND user_id = %s", (cid, uid(troll))) == []

    refused(PermissionDenied, "banned", spaces.join, troll, cid, {})
    token = spaces.create_invitation(owner, cid, {"role": "member"})["token"]
    refused(PermissionDenied, "banned", spaces.accept_invitation, troll, token)
    refused(Conflict, "already-banned", spaces.ban, owner, cid, uid(troll), "Again")
    refused(PermissionDenied, "owner-not-bannable", spaces.ban, moderator, cid, uid(owner), "Coup")
    refused(PermissionDenied, "self-ban", spaces.ban, moderator, cid, uid(moderator), "Oops")

    refused(PermissionDenied, "missing-permission", spaces.unban, plain, cid, uid(troll))
    spaces.unban(moderator, cid, uid(troll))
    assert facts(db, MEMBER_UNBANNED, cid)[-1] == {
        **facts(db, MEMBER_UNBANNED, cid)[-1],
        "user_id": uid(troll),
        "unbanned_by": uid(moderator),
    }
    assert standing(db, cid, uid(troll)) == (None, False)
    refused(NotFound, "ban-not-found", spaces.unban, moderator, cid, uid(troll))
    assert spaces.accept_invitation(troll, token)["role"] == "member"


def test_banning_a_candidate_rejects_their_pending_request(spaces, live, db):
    owner, cid = live("practice")
    candidate = make_actor()
    request = spaces.join(candidate, cid, {})["request"]
    spaces.ban(owner, cid, uid(candidate), "Known spammer")
    [(status,)] = query(db, "SELECT status FROM join_requests WHERE id = %s", (request["id"],))
    assert status == "rejected"
    assert facts(db, JOIN_REQUEST_REJECTED, cid)[-1]["user_id"] == uid(candidate)


# -- roles and owners ------------------------------------------------------------------------------------


def test_owners_are_changed_by_owners_and_the_last_one_stays(spaces, live, member_of, db):
    owner, cid = live("interest")
    manager, plain = member_of(owner, cid, "manager"), member_of(owner, cid)
    refused(PermissionDenied, "owner-only", spaces.set_member_role, manager, cid, uid(owner), "member")
    refused(PermissionDenied, "owner-only", spaces.set_member_role, manager, cid, uid(plain), "owner")
    refused(PermissionDenied, "missing-permission", spaces.set_member_role, plain, cid, uid(manager), "guest")
    refused(Unprocessable, "unknown-role", spaces.set_member_role, manager, cid, uid(plain), "wizard")
    refused(NotFound, "member-not-found", spaces.set_member_role, manager, cid, str(uuid.uuid4()), "guest")
    refused(Conflict, "last-owner", spaces.set_member_role, owner, cid, uid(owner), "manager")

    before = len(facts(db, MEMBER_ROLE_CHANGED, cid))
    assert spaces.set_member_role(manager, cid, uid(plain), "member")["role"] == "member"
    assert len(facts(db, MEMBER_ROLE_CHANGED, cid)) == before  # the same role: no change, no event

    assert spaces.set_member_role(manager, cid, uid(plain), "expert")["role"] == "expert"
    assert facts(db, MEMBER_ROLE_CHANGED, cid)[-1] == {
        **facts(db, MEMBER_ROLE_CHANGED, cid)[-1],
        "user_id": uid(plain),
        "previous_role": "member",
        "role": "expert",
        "changed_by": uid(manager),
    }
    assert standing(db, cid, uid(plain)) == ("expert", False)

    spaces.set_member_role(owner, cid, uid(manager), "owner")
    assert standing(db, cid, uid(manager)) == ("owner", False)
    assert spaces.set_member_role(owner, cid, uid(owner), "manager")["role"] == "manager"  # two owners: allowed
    refused(Conflict, "last-owner", spaces.remove_member, manager, cid, uid(manager))


def test_members_leave_and_managers_remove_members_but_not_owners(spaces, live, member_of, db):
    owner, cid = live("interest")
    manager, leaver, removed = member_of(owner, cid, "manager"), member_of(owner, cid), member_of(owner, cid)
    refused(Conflict, "last-owner", spaces.remove_member, owner, cid, uid(owner))
    spaces.remove_member(leaver, cid, uid(leaver))
    assert facts(db, MEMBER_LEFT, cid)[-1]["user_id"] == uid(leaver)
    assert standing(db, cid, uid(leaver)) == (None, False)
    refused(PermissionDenied, "owner-only", spaces.remove_member, manager, cid, uid(owner))
    refused(PermissionDenied, "missing-permission", spaces.remove_member, removed, cid, uid(manager))
    spaces.remove_member(manager, cid, uid(removed))
    last = facts(db, MEMBER_REMOVED, cid)[-1]
    assert (last["user_id"], last["removed_by"], last["reason"]) == (uid(removed), uid(manager), None)
    refused(NotFound, "member-not-found", spaces.remove_member, manager, cid, uid(removed))


# -- pilot group --------------------------------------------------------------------------------------------


def test_the_pilot_group_adds_and_removes_testers_only(spaces, community, registered, db):
    owner = registered("community_creator")
    cid = community(kind="interest", owner=owner, state="draft")["id"]
    a, b, c = registered(), registered(), registered()
    stranger = str(uuid.uuid4())
    problem = refused(Unprocessable, "unknown-users", spaces.set_pilot_group, owner, cid, [uid(a), stranger])
    assert problem.extra["user_ids"] == [stranger]
    refused(InvalidInput, "invalid-input", spaces.set_pilot_group, owner, cid, [str(uuid.uuid4()) for _ in range(51)])
    refused(
        Conflict,
        "not-live",
        spaces.accept_invitation,
        a,
        spaces.create_invitation(owner, cid, {"role": "member"})["token"],
    )

    assert spaces.set_pilot_group(owner, cid, [uid(a), uid(b), uid(b)]) == {"user_ids": sorted([uid(a), uid(b)])}
    joined = [(e["user_id"], e["via"], e["role"]) for e in facts(db, MEMBER_JOINED, cid) if e["via"] == "pilot"]
    assert sorted(joined) == sorted([(uid(a), "pilot", "member"), (uid(b), "pilot", "member")])
    assert standing(db, cid, uid(a)) == ("member", False)

    now = spaces.set_pilot_group(owner, cid, [uid(b), uid(c), uid(owner)])
    assert now == {"user_ids": sorted([uid(b), uid(c)])}
    [dropped] = facts(db, MEMBER_REMOVED, cid)
    assert (dropped["user_id"], dropped["removed_by"], dropped["reason"]) == (uid(a), uid(owner), "pilot group changed")
    assert standing(db, cid, uid(a)) == (None, False)
    assert standing(db, cid, uid(owner)) == ("owner", False)  # listed but not a tester: left alone
    refused(PermissionDenied, "missing-permission", spaces.set_pilot_group, b, cid, [])
    assert spaces.set_pilot_group(owner, cid, []) == {"user_ids": []}
    assert standing(db, cid, uid(owner)) == ("owner", False)
    assert [e["via"] for e in facts(db, MEMBER_JOINED, cid)].count("creator") == 1


def test_the_pilot_group_is_closed_once_live(spaces, live, registered):
    owner, cid = live("interest")
    refused(Conflict, "pilot-closed", spaces.set_pilot_group, owner, cid, [uid(registered())])


# -- the members list -------------------------------------------------------------------------------------


def test_members_are_listed_by_keyset_pages_to_members_only(spaces, live, member_of):
    owner, cid = live("interest")
    people = [member_of(owner, cid, "guest" if i % 2 else "member") for i in range(5)]
    everyone, after = [], None
    while True:
        page = spaces.list_members(people[0], cid, 2, after)
        assert len(page["items"]) <= 2
        everyone += page["items"]
        after = page["next"]
        if after is None:
            break
    assert [m["user_id"] for m in everyone] == [uid(owner)] + [uid(p) for p in people]
    assert [(m["role"], m["via"]) for m in everyone[:2]] == [("owner", "creator"), ("member", "invitation")]
    assert everyone == sorted(everyone, key=lambda m: (m["joined_at"], m["user_id"]))
    guests = spaces.list_members(owner, cid, 100, None, "guest")["items"]
    assert [m["user_id"] for m in guests] == [uid(people[1]), uid(people[3])]

    refused(PermissionDenied, "members-only", spaces.list_members, make_actor(), cid)
    refused(NotFound, "community-not-found", spaces.list_members, make_actor(), str(uuid.uuid4()))
    refused(
        InvalidInput, "invalid-input", spaces.list_members, owner, cid, 2, {"joined_at": "yesterday", "user_id": "x"}
    )
    refused(InvalidInput, "invalid-input", spaces.list_members, owner, cid, 0)


def _plan(db, sql: str, params) -> dict:
    [(plan,)] = query(db, "EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
    return plan[0]["Plan"]


def _nodes(plan: dict) -> list[dict]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


def test_a_members_page_reads_only_its_rows_among_100k_members(spaces, live, db):
    """The page's SQL (as ``MembershipStorage.members_page`` writes it) deep in a list of 100,000
    members: an index range scan that stops after ``limit + 1`` rows, no sort, no offset."""
    from services.spaces.membership_storage import MembershipStorage

    owner, cid = live("interest")
    query(
        db,
        "INSERT INTO members (community_id, user_id, role, via, joined_at)"
        " SELECT %s, gen_random_uuid(), CASE WHEN n %% 10 = 0 THEN 'guest' ELSE 'member' END, 'open',"
        " now() + make_interval(secs => n) FROM generate_series(1, 100000) AS n RETURNING 1",
        (cid,),
    )
    with db.cursor() as cur:
        cur.execute("ANALYZE members")
    [(joined_at, user_id)] = query(
        db,
        "SELECT joined_at, user_id FROM members WHERE community_id = %s"
        " ORDER BY joined_at, user_id OFFSET 90000 LIMIT 1",
        (cid,),
    )

    class Explaining:
        """A transaction that answers the plan of each query instead of its rows."""

        def __init__(self):
            self.plans: list[dict] = []

        def fetchall(self, sql, params):
            self.plans.append(_plan(db, sql, params))
            return []

    explaining = Explaining()
    storage = MembershipStorage(explaining)  # type: ignore[arg-type]
    storage.members_page(cid, 20, (joined_at.isoformat(), str(user_id)))
    storage.members_page(cid, 20, (joined_at.isoformat(), str(user_id)), role="guest")
    assert len(explaining.plans) == 2
    for plan in explaining.plans:
        nodes = _nodes(plan)
        assert not any(node["Node Type"] == "Sort" for node in nodes), plan
        scans = [node for node in nodes if "Index" in node["Node Type"]]
        assert scans, plan
        assert scans[0]["Index Name"] in ("members_listing", "members_role_listing"), plan
        assert scans[0]["Actual Rows"] <= 21
    page = spaces.list_members(owner, cid, 100, {"joined_at": joined_at.isoformat(), "user_id": str(user_id)})
    assert len(page["items"]) == 100
    assert page["next"] is not None


# -- identity's events ------------------------------------------------------------------------------------


def test_an_erased_account_leaves_no_trace_and_its_community_keeps_an_owner(
    spaces, community, live, member_of, registered, publish, db
):
    owner = registered("community_creator")
    cid = community(kind="practice", owner=owner, state="pilot")["id"]
    spaces.give_feedback(owner, cid, "Looks good", 5)
    spaces.transition(owner, cid, "live")
    member, manager = member_of(owner, cid), member_of(owner, cid, "manager")
    # the owner also asked to join elsewhere, sponsored a candidate here, invited someone, was banned elsewhere
    _, elsewhere = live("practice")
    mine = spaces.join(owner, elsewhere, {"message": "It's me"})["request"]
    candidate = spaces.join(make_actor(), cid, {})["request"]
    spaces.sponsor_request(owner, candidate["id"])
    invitation = spaces.create_invitation(owner, cid, {"role": "member", "email": "friend@example.org"})
    banning_owner, banned_from = live("interest")
    spaces.ban(banning_owner, banned_from, uid(owner), "Spam")

    publish(USER_ERASED, {"user_id": uid(owner), "erased_at": datetime.now(UTC).isoformat()})
    eventually(
        lambda: query(db, "SELECT 1 FROM known_users WHERE user_id = %s AND erased_at IS NOT NULL", (uid(owner),)),
        what="the erasure to be applied",
    )
    removed = facts(db, MEMBER_REMOVED, cid)[-1]
    assert (removed["user_id"], removed["removed_by"], removed["reason"]) == (uid(owner), None, "account erased")
    promoted = facts(db, MEMBER_ROLE_CHANGED, cid)[-1]
    assert (promoted["user_id"], promoted["previous_role"], promoted["role"], promoted["changed_by"]) == (
        uid(manager),
        "manager",
        "owner",
        "platform",
    )
    assert standing(db, cid, uid(owner)) == (None, False)
    assert standing(db, cid, uid(manager)) == ("owner", False)
    assert standing(db, cid, uid(member)) == ("member", False)
    assert query(db, "SELECT status, message, answers FROM join_requests WHERE id = %s", (mine["id"],)) == [
        ("withdrawn", None, {})
    ]
    assert query(db, "SELECT count(*) FROM sponsorships WHERE sponsor_id = %s", (uid(owner),)) == [(0,)]
    # the invitation they made no longer names them (its email is the invitee's, not theirs)
    assert query(db, "SELECT invited_by FROM invitations WHERE id = %s", (invitation["id"],)) == [(None,)]
    assert query(db, "SELECT count(*) FROM bans WHERE user_id = %s", (uid(owner),)) == [(0,)]
    assert facts(db, MEMBER_UNBANNED, banned_from)[-1]["unbanned_by"] == "platform"
    assert standing(db, banned_from, uid(owner)) == (None, False)
    assert (
        query(db, "SELECT count(*) FROM community_changes WHERE community_id = %s AND changed_by IS NULL", (cid,))[0][0]
        > 0
    )
    assert query(db, "SELECT count(*) FROM community_changes WHERE changed_by = %s", (uid(owner),)) == [(0,)]
    assert query(db, "SELECT user_id FROM pilot_feedback WHERE community_id = %s", (cid,)) == [(None,)]


def test_the_same_erasure_delivered_twice_is_applied_once(spaces, live, member_of, publish, db):
    owner, cid = live("interest")
    gone = member_of(owner, cid)
    data = {"user_id": uid(gone), "erased_at": datetime.now(UTC).isoformat()}
    publish(USER_ERASED, data)
    publish(USER_ERASED, data)
    eventually(lambda: facts(db, MEMBER_REMOVED, cid), what="the member to be removed")
    eventually(
        lambda: query(db, "SELECT 1 FROM known_users WHERE user_id = %s AND erased_at IS NOT NULL", (uid(gone),))
    )
    assert [e["user_id"] for e in facts(db, MEMBER_REMOVED, cid)] == [uid(gone)]
    assert standing(db, cid, uid(owner)) == ("owner", False)
