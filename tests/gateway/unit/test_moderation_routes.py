"""The moderation routes with the publishing RPC mocked (nameko's worker_factory): what each sends to
the publishing service, what it refuses before calling it, and what it answers."""

import uuid

import pytest

from gateway.openapi import build_openapi
from gateway.pagination import decode_cursor, encode_cursor
from gateway.service import GatewayService
from kernel import errors
from kernel.auth import Actor
from kernel.events.catalog.publishing import REPORT_CATEGORIES, SANCTION_KINDS
from tests.gateway.unit.handlers import answered, gateway_as, rpc_calls
from tests.gateway.unit.handlers import request as call

ALICE = Actor(user_id=str(uuid.uuid4()), platform_role="member")
CONTENT_ID = uuid.uuid4()
SPACE_ID = uuid.uuid4()
COMMUNITY_ID = uuid.uuid4()
SANCTION = {
    "id": str(uuid.uuid4()),
    "community_id": str(COMMUNITY_ID),
    "user_id": str(uuid.uuid4()),
    "kind": "mute",
    "reason": "Spam",
    "until": "2030-01-02T03:04:05+00:00",
    "by": ALICE.user_id,
    "at": "2030-01-01T03:04:05+00:00",
}


@pytest.fixture
def gateway():
    return gateway_as(ALICE)


def test_the_moderation_operations_are_documented_under_their_tag():
    document = build_openapi(GatewayService)
    tagged = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "moderation" in operation.get("tags", [])
    }
    assert tagged == {
        ("POST", "/v1/contents/{content_id}/reports"),
        ("POST", "/v1/contents/{content_id}/hide"),
        ("POST", "/v1/contents/{content_id}/unhide"),
        ("GET", "/v1/contents/{content_id}/hidings"),
        ("POST", "/v1/contents/{content_id}/lock"),
        ("PUT", "/v1/spaces/{space_id}/crisis-mode"),
        ("POST", "/v1/communities/{community_id}/sanctions"),
        ("GET", "/v1/communities/{community_id}/sanctions"),
        ("PUT", "/v1/communities/{community_id}/moderation-settings"),
    }
    schemas = document["components"]["schemas"]
    assert schemas["NewReport"]["properties"]["category"]["enum"] == list(REPORT_CATEGORIES)
    assert schemas["NewSanction"]["properties"]["kind"]["enum"] == list(SANCTION_KINDS)
    assert "ban" in SANCTION_KINDS
    assert schemas["HidingReason"]["required"] == ["reason"]


def test_hide_and_unhide_are_sent_with_their_reason_and_answered_201(gateway):
    line = {
        "id": str(uuid.uuid4()),
        "content_id": str(CONTENT_ID),
        "action": "hide",
        "cause": "moderator",
        "reason": "Rude",
        "by": ALICE.user_id,
        "at": "2030-01-01T03:04:05+00:00",
    }
    gateway.services.call.return_value = line
    assert answered(gateway.hide_content(call("POST", {"reason": "Rude"}), content_id=CONTENT_ID)) == (201, line)
    gateway.services.call.return_value = {**line, "action": "unhide", "reason": "Fine"}
    status, body = answered(gateway.unhide_content(call("POST", {"reason": "Fine"}), content_id=CONTENT_ID))
    assert (status, body["action"]) == (201, "unhide")
    assert rpc_calls(gateway) == [
        ("publishing", "hide_content", ALICE.as_dict(), str(CONTENT_ID), "Rude"),
        ("publishing", "unhide_content", ALICE.as_dict(), str(CONTENT_ID), "Fine"),
    ]


def test_a_hiding_without_a_good_reason_never_reaches_the_service(gateway):
    for handler in (gateway.hide_content, gateway.unhide_content):
        for bad in ({}, {"reason": ""}, {"reason": "x" * 1001}, {"reason": 3}):
            with pytest.raises(errors.InvalidInput):
                handler(call("POST", bad), content_id=CONTENT_ID)
        with pytest.raises(errors.Unauthenticated):
            handler(call("POST", {"reason": "x"}, token=False), content_id=CONTENT_ID)
    assert rpc_calls(gateway) == []


def test_a_ban_the_spaces_service_refuses_reaches_the_edge_intact(gateway):
    gateway.services.call.side_effect = errors.PermissionDenied("An owner cannot be banned.", code="owner-not-bannable")
    body = {"user_id": str(uuid.uuid4()), "kind": "ban", "reason": "x"}
    with pytest.raises(errors.PermissionDenied) as caught:
        gateway.apply_sanction(call("POST", body), community_id=COMMUNITY_ID)
    assert caught.value.code == "owner-not-bannable"
    assert rpc_calls(gateway)[0][5] == "ban"


def test_a_report_is_sent_and_answered_201(gateway):
    report = {"id": str(uuid.uuid4()), "content_id": str(CONTENT_ID), "category": "spam", "reason": "Ads"}
    gateway.services.call.return_value = {**report, "reporter_id": "hidden"}
    status, body = answered(
        gateway.report_content(call("POST", {"reason": "Ads", "category": "spam"}), content_id=CONTENT_ID)
    )
    assert (status, body) == (201, report)
    assert rpc_calls(gateway) == [("publishing", "report_content", ALICE.as_dict(), str(CONTENT_ID), "Ads", "spam")]


def test_a_bad_report_never_reaches_the_service(gateway):
    for bad in ({"reason": "", "category": "spam"}, {"reason": "x", "category": "rant"}, {"reason": "x" * 1001}):
        with pytest.raises(errors.InvalidInput):
            gateway.report_content(call("POST", bad), content_id=CONTENT_ID)
    with pytest.raises(errors.Unauthenticated):
        gateway.report_content(call("POST", {"reason": "x", "category": "spam"}, token=False), content_id=CONTENT_ID)
    assert rpc_calls(gateway) == []


def test_lock_and_crisis_mode_are_sent(gateway):
    gateway.services.call.return_value = {"content_id": str(CONTENT_ID), "locked": True}
    assert answered(gateway.lock_content(call("POST", {"locked": True}), content_id=CONTENT_ID)) == (
        200,
        {"content_id": str(CONTENT_ID), "locked": True},
    )
    gateway.services.call.return_value = {"space_id": str(SPACE_ID), "crisis": True, "slow_seconds": 30}
    status, _ = answered(gateway.set_crisis_mode(call("PUT", {"crisis": True, "slow_seconds": 30}), space_id=SPACE_ID))
    assert status == 200
    with pytest.raises(errors.InvalidInput):
        gateway.set_crisis_mode(call("PUT", {"crisis": True, "slow_seconds": 3601}), space_id=SPACE_ID)
    assert rpc_calls(gateway) == [
        ("publishing", "lock_content", ALICE.as_dict(), str(CONTENT_ID), True),
        ("publishing", "set_crisis_mode", ALICE.as_dict(), str(SPACE_ID), True, 30),
    ]


def test_the_services_refusal_reaches_the_edge_intact(gateway):
    gateway.services.call.side_effect = errors.RateLimited("Slow down.", extra={"retry_after": 42}, code="slow-mode")
    with pytest.raises(errors.RateLimited) as caught:
        gateway.set_crisis_mode(call("PUT", {"crisis": True}), space_id=SPACE_ID)
    assert caught.value.extra["retry_after"] == 42


def test_a_sanction_is_sent_with_its_end_and_listed_with_a_cursor(gateway):
    gateway.services.call.return_value = SANCTION
    body = {"user_id": SANCTION["user_id"].upper(), "kind": "mute", "reason": "Spam", "until": SANCTION["until"]}
    status, answer = answered(gateway.apply_sanction(call("POST", body), community_id=COMMUNITY_ID))
    assert (status, answer) == (201, SANCTION)
    assert rpc_calls(gateway)[0] == (
        "publishing",
        "apply_sanction",
        ALICE.as_dict(),
        str(COMMUNITY_ID),
        SANCTION["user_id"],
        "mute",
        "Spam",
        SANCTION["until"],
    )
    position = {"at": SANCTION["at"], "id": SANCTION["id"]}
    gateway.services.call.return_value = {"items": [SANCTION], "next": position}
    cursor = encode_cursor(position)
    status, page = answered(
        gateway.list_sanctions(call("GET", query={"limit": 1, "cursor": cursor}), community_id=COMMUNITY_ID)
    )
    assert (status, page["items"], decode_cursor(page["next_cursor"])) == (200, [SANCTION], position)
    assert rpc_calls(gateway)[1] == ("publishing", "list_sanctions", ALICE.as_dict(), str(COMMUNITY_ID), 1, position)


def test_the_report_threshold_is_checked_then_sent(gateway):
    with pytest.raises(errors.InvalidInput):
        gateway.set_moderation_settings(call("PUT", {"report_threshold": 0}), community_id=COMMUNITY_ID)
    gateway.services.call.return_value = {"community_id": str(COMMUNITY_ID), "report_threshold": 3}
    status, body = answered(
        gateway.set_moderation_settings(call("PUT", {"report_threshold": 3}), community_id=COMMUNITY_ID)
    )
    assert (status, body["report_threshold"]) == (200, 3)
    assert rpc_calls(gateway) == [("publishing", "set_report_threshold", ALICE.as_dict(), str(COMMUNITY_ID), 3)]
