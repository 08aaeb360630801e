"""The join policies: found through their entry points, each deciding a join from the charter's
terms and the application alone."""

import pytest

from kernel import errors
from services.spaces.plugins import policies
from services.spaces.plugins.policies import (
    Admit,
    Application,
    JoinPolicy,
    MembershipTerms,
    OpenRequest,
    Question,
    Refuse,
    policy_named,
)
from services.spaces.plugins.policies.criteria import missing

FORM = MembershipTerms(
    policy="criteria",
    default_role="member",
    questions=(Question("why", "Why join?", required=True), Question("links", "Links", required=False)),
    attestations=("rules", "adult"),
)
COMPLETE = Application(answers={"why": "To learn"}, attestations=frozenset({"rules", "adult"}))


def test_every_policy_of_the_contract_is_installed_under_its_own_name():
    installed = policies.installed()
    assert set(installed) == {"open", "request", "cooptation", "criteria", "invitation"}
    for name, policy in installed.items():
        assert isinstance(policy, JoinPolicy)
        assert policy.name == name


def test_an_unknown_policy_is_a_conflict_naming_it():
    with pytest.raises(errors.Conflict) as caught:
        policy_named("lottery")
    assert caught.value.code == "policy-unavailable"
    assert caught.value.extra["policy"] == "lottery"


def test_open_admits_with_the_default_role():
    terms = MembershipTerms(policy="open", default_role="contributor")
    assert policy_named("open").decide(terms, Application()) == Admit(role="contributor", via="open")


def test_request_opens_a_request_that_no_sponsor_decides():
    outcome = policy_named("request").decide(MembershipTerms(policy="request"), Application(message="Hello"))
    assert outcome == OpenRequest(policy="request", sponsors_required=None)
    assert not policy_named("request").sponsored


@pytest.mark.parametrize(("required", "expected"), [(2, 2), (5, 5), (0, 1)])
def test_cooptation_opens_a_request_that_n_sponsors_decide(required, expected):
    policy = policy_named("cooptation")
    outcome = policy.decide(MembershipTerms(policy="cooptation", sponsors_required=required), Application())
    assert outcome == OpenRequest(policy="cooptation", sponsors_required=expected)
    assert policy.sponsored


def test_criteria_opens_a_request_for_a_complete_application():
    assert policy_named("criteria").decide(FORM, COMPLETE) == OpenRequest(policy="criteria")


def test_criteria_refuses_missing_answers_and_attestations_with_422_per_field():
    application = Application(answers={"why": "   ", "links": "x"}, attestations=frozenset({"rules"}))
    outcome = policy_named("criteria").decide(FORM, application)
    assert isinstance(outcome, Refuse)
    problem = outcome.problem
    assert isinstance(problem, errors.Unprocessable)
    assert problem.code == "criteria-not-met"
    assert problem.extra["errors"] == {
        "answers": {"why": ["An answer is required."]},
        "attestations": {"adult": ["This must be attested."]},
    }


def test_criteria_optional_questions_may_stay_unanswered():
    assert missing(FORM, Application(answers={"why": "x"}, attestations=frozenset({"rules", "adult"}))) == {}
    assert missing(MembershipTerms(policy="criteria"), Application()) == {}


def test_invitation_refuses_every_join():
    outcome = policy_named("invitation").decide(MembershipTerms(policy="invitation"), COMPLETE)
    assert isinstance(outcome, Refuse)
    assert isinstance(outcome.problem, errors.PermissionDenied)
    assert outcome.problem.code == "invitation-only"


def test_policies_are_pure_the_same_inputs_give_the_same_outcome():
    for policy in policies.installed().values():
        first = policy.decide(FORM, COMPLETE)
        second = policy.decide(FORM, COMPLETE)
        assert type(first) is type(second)
        if not isinstance(first, Refuse):
            assert first == second
