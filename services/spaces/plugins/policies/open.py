"""``open``: whoever asks is a member at once, with the charter's default role."""

from __future__ import annotations

from services.spaces.plugins.policies import Admit, Application, JoinPolicy, MembershipTerms, Outcome


class OpenPolicy(JoinPolicy):
    name = "open"

    def decide(self, terms: MembershipTerms, application: Application) -> Outcome:
        return Admit(role=terms.default_role, via=self.name)


POLICY = OpenPolicy()
