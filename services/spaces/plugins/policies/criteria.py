"""``criteria``: a candidate fills the charter's form — every required question answered, every
attestation checked — and a manager decides the request. An incomplete form is refused (422) with
what is missing, per field, so a client can point at it."""

from __future__ import annotations

from kernel import errors
from services.spaces.plugins.policies import (
    Application,
    JoinPolicy,
    MembershipTerms,
    OpenRequest,
    Outcome,
    Refuse,
)

ANSWER_REQUIRED = "An answer is required."
ATTESTATION_REQUIRED = "This must be attested."


def missing(terms: MembershipTerms, application: Application) -> dict[str, dict[str, list[str]]]:
    """What the application lacks: ``{"answers": {question_id: [...]}, "attestations": {id: [...]}}``
    (empty when complete). An answer of only whitespace is no answer."""
    found: dict[str, dict[str, list[str]]] = {}
    for question in terms.questions:
        if question.required and not (application.answers.get(question.id) or "").strip():
            found.setdefault("answers", {})[question.id] = [ANSWER_REQUIRED]
    for attestation in terms.attestations:
        if attestation not in application.attestations:
            found.setdefault("attestations", {})[attestation] = [ATTESTATION_REQUIRED]
    return found


class CriteriaPolicy(JoinPolicy):
    name = "criteria"

    def decide(self, terms: MembershipTerms, application: Application) -> Outcome:
        lacking = missing(terms, application)
        if lacking:
            return Refuse(
                errors.Unprocessable(
                    "The application does not meet this community's criteria.",
                    extra={"errors": lacking},
                    code="criteria-not-met",
                )
            )
        return OpenRequest(policy=self.name)


POLICY = CriteriaPolicy()
