"""Access-token verification: every forged kind is refused, rotation is followed."""

import hashlib
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kernel import errors
from kernel.auth import Actor, TokenVerifier, bearer_token, public_jwk, sign

ISSUER, AUDIENCE = "ecommunity", "ecommunity-api"


def claims(**overrides):
    now = int(time.time())
    values = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u1",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "role": "member",
        "aff": "public",
        "org": None,
        "exp_v": False,
    }
    values.update(overrides)
    return values


class Keys:
    def __init__(self):
        self.private = {}
        self.fetches = 0

    def add(self, kid):
        self.private[kid] = Ed25519PrivateKey.generate()
        return self.private[kid]

    def jwks(self):
        self.fetches += 1
        return {"keys": [public_jwk(kid, key.public_key()) for kid, key in self.private.items()]}


@pytest.fixture
def keys():
    keys = Keys()
    keys.add("k1")
    return keys


@pytest.fixture
def verifier(keys):
    return TokenVerifier(ISSUER, AUDIENCE, keys.jwks, min_refresh_seconds=0)


def test_a_valid_token_names_its_actor(keys, verifier):
    token = sign(claims(role="admin", aff="employee", org="o1", exp_v=True), "k1", keys.private["k1"])
    assert verifier.verify(token) == Actor(
        "u1", "admin", "employee", "o1", True, token_id=jwt.decode(token, options={"verify_signature": False})["jti"]
    )


def test_keys_are_cached_and_refetched_only_for_an_unknown_kid(keys, verifier):
    for _ in range(3):
        verifier.verify(sign(claims(), "k1", keys.private["k1"]))
    assert keys.fetches == 1
    keys.add("k2")  # rotation: a new key signs, the old one still verifies
    verifier.verify(sign(claims(), "k2", keys.private["k2"]))
    verifier.verify(sign(claims(), "k1", keys.private["k1"]))
    assert keys.fetches == 2


def refused(verifier, token, code="invalid-token"):
    with pytest.raises(errors.Unauthenticated) as raised:
        verifier.verify(token)
    assert raised.value.code == code


def test_expired(keys, verifier):
    refused(verifier, sign(claims(exp=int(time.time()) - 60), "k1", keys.private["k1"]), "token-expired")


def test_forged_signature(keys, verifier):
    refused(verifier, sign(claims(), "k1", Ed25519PrivateKey.generate()))


def test_wrong_issuer_and_audience(keys, verifier):
    refused(verifier, sign(claims(iss="someone-else"), "k1", keys.private["k1"]))
    refused(verifier, sign(claims(aud="another-api"), "k1", keys.private["k1"]))


def test_alg_none_and_hmac_confusion(keys, verifier):
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"kid": "k1"})
    refused(verifier, unsigned)
    public_pem = keys.jwks()["keys"][0]["x"]
    refused(verifier, jwt.encode(claims(), public_pem, algorithm="HS256", headers={"kid": "k1"}))


def test_unknown_kid_missing_claims_and_garbage(keys, verifier):
    refused(verifier, sign(claims(), "nope", Ed25519PrivateKey.generate()))
    without_jti = claims()
    del without_jti["jti"]
    refused(verifier, sign(without_jti, "k1", keys.private["k1"]))
    refused(verifier, sign(claims(role="emperor"), "k1", keys.private["k1"]))
    refused(verifier, "not.a.token")
    refused(verifier, "")


def test_bearer_header():
    assert bearer_token("Bearer abc") == "abc"
    for header in (None, "", "Basic abc", "Bearer "):
        with pytest.raises(errors.Unauthenticated):
            bearer_token(header)


def test_a_flood_of_unknown_kids_costs_one_fetch_per_interval(keys):
    verifier = TokenVerifier(ISSUER, AUDIENCE, keys.jwks, min_refresh_seconds=0.2)
    verifier.verify(sign(claims(), "k1", keys.private["k1"]))
    started = time.monotonic()
    for _ in range(3):
        refused(verifier, sign(claims(), f"forged-{uuid.uuid4().hex}", Ed25519PrivateKey.generate()))
    assert keys.fetches == 4  # the first, then one per forged kid, each waiting for its interval
    assert time.monotonic() - started >= 0.5


def test_a_verified_token_is_remembered_until_it_expires_or_its_key_leaves(keys, monkeypatch):
    now = [time.time()]
    verifier = TokenVerifier(ISSUER, AUDIENCE, keys.jwks, min_refresh_seconds=0, clock=lambda: now[0])
    token = sign(claims(exp=int(now[0]) + 60), "k1", keys.private["k1"])
    actor = verifier.verify(token)
    checks = []
    real_decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: checks.append(1) or real_decode(*a, **k))
    assert verifier.verify(token) == actor
    assert checks == []  # remembered: no signature check
    assert list(verifier._verified) == [hashlib.sha256(token.encode()).digest()]  # kept by digest only
    now[0] += 60 + verifier.leeway  # past exp + leeway by our clock: checked again in full
    verifier.verify(token)  # (PyJWT's own clock still finds it valid)
    assert checks == [1]
    del keys.private["k1"]  # the key is withdrawn; a token naming the new one makes the verifier see it
    keys.add("k2")
    verifier.verify(sign(claims(), "k2", keys.private["k2"]))
    refused(verifier, token)  # remembered, but its key left the key set
