"""Identity figures: an account to load `/v1/me` with, and the cost of verifying its token."""

from __future__ import annotations

import json
import time
import uuid

import requests

from kernel.auth import TokenVerifier
from kernel.config import Settings

PASSWORD = "bench correct horse battery"  # noqa: S105 - a throwaway account on a throwaway database


def member_token(gateway: str) -> tuple[str, str]:
    """(an access token of a new member, the JSON body that logs them in)."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.org"
    created = requests.post(
        gateway + "/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Bench"},
        timeout=30,
    )
    created.raise_for_status()
    login = json.dumps({"email": email, "password": PASSWORD})
    tokens = requests.post(
        gateway + "/v1/auth/token", data=login, headers={"Content-Type": "application/json"}, timeout=30
    )
    tokens.raise_for_status()
    return tokens.json()["access_token"], login


def verification_microseconds(gateway: str, token: str, rounds: int = 2000) -> float:
    """CPU time of one ``TokenVerifier.verify`` with its keys cached, as the gateway runs it."""
    jwks = requests.get(gateway + "/.well-known/jwks.json", timeout=30).json()
    settings = Settings.from_env()
    verifier = TokenVerifier(settings.token_issuer, settings.token_audience, lambda: jwks)
    verifier.verify(token)
    start = time.process_time()
    for _ in range(rounds):
        verifier.verify(token)
    return (time.process_time() - start) / rounds * 1e6
