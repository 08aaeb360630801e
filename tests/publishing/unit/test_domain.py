"""The publishing workflow's pure rules (services/publishing/domain.py): policies, who may do what,
what each action does, knowledge levels and titles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kernel import errors
from services.publishing import domain
from services.publishing.domain import Caller, Item, Move, Policy, Step

NOW = datetime(2030, 1, 1, tzinfo=UTC)
AUTHOR = "00000000-0000-4000-8000-000000000001"
OTHER = "00000000-0000-4000-8000-000000000002"
TWO_STEPS = Policy("multi_step", (Step("review", "expert"), Step("approval", "lead")))
PRE = Policy("pre_moderation")
MEMBER = frozenset({"read", "post", "comment"})
MODERATOR = frozenset({"read", "post", "comment", "co_edit", "moderate"})
EXPERT = frozenset({"read", "post", "comment", "co_edit", "validate"})


def author(permissions=MEMBER) -> Caller:
    return Caller(AUTHOR, permissions, "member")


def item(state="draft", **kwargs) -> Item:
    return Item(state=state, author_id=AUTHOR, **kwargs)


# -- policies ----------------------------------------------------------------------------------------


def test_a_policy_is_read_from_a_rule():
    assert Policy.of({}) == Policy()
    assert Policy.of({"mode": "pre_moderation", "steps": [{"name": "x", "role": "expert"}]}) == PRE
    read = Policy.of(
        {"mode": "multi_step", "steps": [{"name": "review", "role": "expert"}, {"name": "approval", "role": "lead"}]}
    )
    assert read == TWO_STEPS
    assert read.step_roles == {"expert", "lead"}
    assert Policy.of({"mode": "multi_step", "steps": []}) == PRE  # nobody's step: one approval
    assert Policy.of({"mode": "by-lottery"}) == Policy()
    assert TWO_STEPS.step_name(1) == "approval"
    assert TWO_STEPS.step_at(2) is None
    assert TWO_STEPS.step_at(None) is None


STEPS = [{"name": "review", "role": "expert"}, {"name": "approval", "role": "lead"}]
CHARTER = {"mode": "none", "steps": [], "types": {"document": {"mode": "multi_step", "steps": STEPS}}}


def test_the_nearest_rule_applies_per_space_and_per_type():
    # nothing anywhere, or places that follow their parent: none
    assert Policy.applying([], "news") == Policy()
    assert Policy.applying([None, None], "news") == Policy()
    # the charter: its rule for the type, else its mode
    assert Policy.applying([None, CHARTER], "document") == TWO_STEPS
    assert Policy.applying([None, CHARTER], "news") == Policy()
    # a space's own mode overrides the charter for every type, even one the charter has a rule for
    space = {"mode": "pre_moderation", "steps": [{"name": "x", "role": "expert"}], "types": {}}
    assert Policy.applying([space, CHARTER], "news") == PRE
    assert Policy.applying([space, CHARTER], "document") == PRE
    # a space with rules for some types only: the others go on up
    typed = {"types": {"news": {"mode": "pre_moderation", "steps": [{"name": "x", "role": "expert"}]}}}
    assert Policy.applying([typed, CHARTER], "news") == PRE
    assert Policy.applying([typed, CHARTER], "document") == TWO_STEPS
    # the nearest space wins over its ancestors (a child following its parent skips to it)
    lax = {"mode": "none", "types": {}}
    assert Policy.applying([lax, None, space, CHARTER], "news") == Policy()
    assert Policy.applying([None, space, CHARTER], "topic") == PRE
    # junk in the read model is ignored, not trusted
    assert Policy.applying(["junk", {"types": {"news": "junk"}}, CHARTER], "news") == Policy()


def test_the_transitions_table_is_the_contracts():
    assert domain.TRANSITIONS["draft"] == {"submitted", "in_review", "approved", "published", "archived"}
    assert domain.TRANSITIONS["submitted"] == {"approved", "rejected"}
    assert domain.TRANSITIONS["in_review"] == {"in_review", "approved", "rejected"}
    assert domain.TRANSITIONS["approved"] == {"published", "archived"}
    assert domain.TRANSITIONS["rejected"] == {"draft", "archived"}
    assert domain.TRANSITIONS["archived"] == frozenset()
    for action, states in domain.ACTION_STATES.items():
        assert states <= set(domain.TRANSITIONS) - {None}, action


# -- who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "caller", "policy", "expected"),
    [
        ("draft", author(), Policy(), ["edit", "submit", "archive", "restore"]),
        ("draft", Caller(OTHER, MODERATOR, "moderator"), Policy(), ["archive"]),
        ("published", author(), Policy(), ["edit", "archive", "restore"]),
        ("published", Caller(OTHER, MEMBER, "member"), Policy(), []),
        ("submitted", author(), PRE, []),
        ("submitted", Caller(OTHER, EXPERT, "expert"), PRE, ["approve", "reject"]),
        ("submitted", Caller(OTHER, MODERATOR, "moderator"), PRE, ["approve", "reject"]),
        ("approved", Caller(OTHER, EXPERT, "expert"), PRE, ["publish"]),
        ("approved", author(), PRE, ["archive"]),
        ("rejected", author(), PRE, ["edit", "archive", "restore"]),
        ("archived", author(), PRE, []),
    ],
)
def test_my_actions(state, caller, policy, expected):
    assert domain.my_actions(item(state), caller, policy) == expected


def test_a_step_is_decided_by_its_role_or_by_a_moderator():
    first, second = item("in_review", step=0), item("in_review", step=1)
    expert = Caller(OTHER, EXPERT, "expert")
    lead = Caller(OTHER, MEMBER, "lead")
    moderator = Caller(OTHER, MODERATOR, "moderator")
    assert domain.may_decide(first, expert, TWO_STEPS)
    assert not domain.may_decide(first, lead, TWO_STEPS)
    assert domain.may_decide(second, lead, TWO_STEPS)
    assert not domain.may_decide(second, expert, TWO_STEPS)
    assert domain.may_decide(first, moderator, TWO_STEPS)
    assert domain.may_decide(second, moderator, TWO_STEPS)
    stale = item("in_review", step=5)  # the steps changed since: only a moderator decides
    assert not domain.may_decide(stale, lead, TWO_STEPS)
    assert domain.may_decide(stale, moderator, TWO_STEPS)
    with pytest.raises(errors.PermissionDenied) as denied:
        domain.check("approve", first, lead, TWO_STEPS)
    assert denied.value.extra["step"] == "review"


def test_co_editors_edit_co_edited_types_only():
    co_editor = Caller(OTHER, EXPERT, "expert")
    assert domain.my_actions(item("published", co_edited=True), co_editor, Policy()) == ["edit", "restore"]
    assert domain.my_actions(item("published"), co_editor, Policy()) == []
    assert not domain.may_write(item(), Caller(AUTHOR, frozenset({"read"}), None))  # an author who may no longer post


def test_check_refuses_in_order_archived_then_who_then_state():
    with pytest.raises(errors.Conflict) as archived:
        domain.check("edit", item(), author(), Policy(), read_only=True)
    assert archived.value.code == "archived"
    with pytest.raises(errors.PermissionDenied):
        domain.check("submit", item(), Caller(OTHER, MODERATOR, "moderator"), Policy())
    with pytest.raises(errors.Conflict) as state:
        domain.check("submit", item("published"), author(), Policy())
    assert state.value.code == "transition-not-allowed"
    assert state.value.extra["allowed"] == ["edit", "archive", "restore"]
    assert domain.my_actions(item(), author(), Policy(), read_only=True) == []


# -- what happens ----------------------------------------------------------------------------------


def test_submit_by_policy():
    assert domain.submit(item(), Policy(), NOW) == [Move("draft", "published")]
    assert domain.submit(item(publish_at=NOW + timedelta(hours=1)), Policy(), NOW) == [Move("draft", "approved")]
    assert domain.submit(item(publish_at=NOW - timedelta(hours=1)), Policy(), NOW) == [Move("draft", "published")]
    assert domain.submit(item(), PRE, NOW) == [Move("draft", "submitted")]
    assert domain.submit(item(), TWO_STEPS, NOW) == [Move("draft", "in_review", step=0, step_name="review")]


def test_approve_passes_steps_then_approves_and_publishes_when_due():
    step = domain.approve(item("in_review", step=0), TWO_STEPS, NOW)
    assert (step.final, step.step_name, step.published) == (False, "review", False)
    assert step.moves == [Move("in_review", "in_review", step=1, step_name="review")]
    last = domain.approve(item("in_review", step=1), TWO_STEPS, NOW)
    assert (last.final, last.step_name, last.published) == (True, "approval", True)
    assert [m.to_state for m in last.moves] == ["approved", "published"]
    single = domain.approve(item("submitted"), PRE, NOW)
    assert (single.final, single.step_name) == (True, None)
    waiting = domain.approve(item("submitted", publish_at=NOW + timedelta(days=1)), PRE, NOW)
    assert [m.to_state for m in waiting.moves] == ["approved"]
    assert not waiting.published


def test_reject_edit_publish_archive():
    assert domain.reject(item("in_review", step=1), TWO_STEPS, "No.") == Move(
        "in_review", "rejected", step_name="approval", reason="No."
    )
    assert domain.edited(item("rejected")) == Move("rejected", "draft")
    assert domain.edited(item("published")) is None
    assert domain.publish(item("approved")) == Move("approved", "published")
    assert domain.archive(item("published")) == Move("published", "archived")


# -- parts -----------------------------------------------------------------------------------------


def test_titles():
    assert domain.check_title(True, "  Hello ") == "Hello"
    assert domain.check_title(False, None) is None
    for title in (None, "", "   ", "x" * 301, 3):
        with pytest.raises(errors.InvalidInput):
            domain.check_title(True, title)
    with pytest.raises(errors.InvalidInput):
        domain.check_title(False, "A reply's title")
    with pytest.raises(errors.InvalidInput):
        domain.check_untitled_body(False, " \n")
    domain.check_untitled_body(True, "")


def test_knowledge_levels_of_children_and_events():
    assert domain.child_level(None, "public", "confidential") == "confidential"
    assert domain.child_level(None, "confidential", "public") == "confidential"
    assert domain.child_level("extended", "public", "extended") == "extended"
    with pytest.raises(errors.Unprocessable):
        domain.child_level("public", "public", "extended")
    assert domain.event_title("Plans", "confidential") is None
    assert domain.event_title("Plans", "extended") == "Plans"
