"""``request``: a candidate asks; a manager (``manage_members``) approves or rejects with a reason."""

from __future__ import annotations

from services.spaces.plugins.policies import Application, JoinPolicy, MembershipTerms, OpenRequest, Outcome


class RequestPolicy(JoinPolicy):
    name = "request"

    def decide(self, terms: MembershipTerms, application: Application) -> Outcome:
        return OpenRequest(policy=self.name)


POLICY = RequestPolicy()
