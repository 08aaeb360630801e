"""``cooptation``: a candidate is admitted once ``sponsors_required`` members (any role but guest)
have sponsored them; managers may also decide the request themselves."""

from __future__ import annotations

from services.spaces.plugins.policies import Application, JoinPolicy, MembershipTerms, OpenRequest, Outcome


class CooptationPolicy(JoinPolicy):
    name = "cooptation"
    sponsored = True

    def decide(self, terms: MembershipTerms, application: Application) -> Outcome:
        return OpenRequest(policy=self.name, sponsors_required=max(1, terms.sponsors_required))


POLICY = CooptationPolicy()
