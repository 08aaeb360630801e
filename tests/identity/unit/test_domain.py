"""identity's pure rules: passwords, email addresses, language tags, token claims, refresh verdicts, key retirement."""

from datetime import UTC, datetime, timedelta

import pytest

from kernel.auth import TokenVerifier
from services.identity import domain
from services.identity.domain import RefreshTokenState, RefreshVerdict, TokenPolicy
from services.identity.keys import load_key, new_key_material

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
POLICY = TokenPolicy(issuer="ecommunity", audience="ecommunity-api", access_ttl_seconds=900, refresh_ttl_seconds=3600)


def codes(password, email="ana.lopez@example.org", common=None):
    return [w.code for w in domain.password_weaknesses(password, email, common)]


# -- passwords ---------------------------------------------------------------------------------


def test_a_long_uncommon_password_is_strong_enough():
    assert codes("violet-otter-carries-maps") == []


def test_a_password_under_twelve_characters_is_too_short():
    assert codes("x7#kQ2!mZp9") == ["too-short"]
    assert codes("x7#kQ2!mZp9w") == []


def test_a_common_password_is_refused_whatever_its_case():
    assert codes("PassWord1234", common={"password1234"}) == ["too-common"]


def test_the_shipped_list_is_used_by_default_and_is_lowercase():
    common = domain.common_passwords()
    assert len(common) >= 300
    assert all(p == p.lower() and p.strip() == p for p in common)
    assert "too-common" in codes("Qwertyuiop123")
    assert "too-common" in codes("123456")


def test_a_password_containing_the_emails_name_is_refused():
    assert codes("my-ANA.LOPEZ-is-secret", email=" Ana.Lopez@Example.org ") == ["contains-email"]


def test_a_very_short_local_part_is_not_looked_for():
    assert codes("a-long-enough-phrase", email="a@example.org") == []


def test_every_reason_is_given_at_once():
    assert codes("ana.lopez", common={"ana.lopez"}) == ["too-short", "too-common", "contains-email"]


def test_each_reason_has_a_message():
    assert all(w.message.endswith(".") for w in domain.password_weaknesses("x", "xyz@a.org", {"x"}))


# -- email and language tags --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("  Ana@Example.ORG ", "ana@example.org"), ("bob@x.io", "bob@x.io"), ("\tC.D+tag@Mail.Com\n", "c.d+tag@mail.com")],
)
def test_emails_are_stripped_and_lowercased(raw, normalized):
    assert domain.normalize_email(raw) == normalized


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [
        ("en", "en"),
        ("FR", "fr"),
        ("en-gb", "en-GB"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("ast", "ast"),
    ],
)
def test_short_language_tags_are_canonicalised(tag, canonical):
    assert domain.canonical_language_tag(tag) == canonical


@pytest.mark.parametrize("tag", ["", "e", "english", "en_GB", "en-", "en-GB-x", "12", "en-G"])
def test_other_strings_are_not_language_tags(tag):
    assert domain.canonical_language_tag(tag) is None


def test_only_fields_that_differ_are_changed():
    current = {"display_name": "Ana", "locale": "en", "bio": None, "languages": ["en"]}
    changes = {"languages": ["en"], "bio": "Hi", "display_name": "Ana L."}
    assert domain.changed_fields(current, changes) == ["display_name", "bio"]


# -- access tokens -----------------------------------------------------------------------------


def test_access_claims_follow_the_kernel_contract():
    claims = domain.access_claims("u-1", "member", POLICY, NOW, jti="abc")
    assert claims == {
        "iss": "ecommunity",
        "aud": "ecommunity-api",
        "sub": "u-1",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 900,
        "jti": "abc",
        "role": "member",
        "aff": "public",
        "org": None,
        "exp_v": False,
    }


def test_a_signed_access_token_verifies_into_the_actor():
    key = load_key(*new_key_material(), created_at=NOW, superseded_at=None)
    now = datetime.now(UTC)
    token = key.sign(domain.access_claims("u-7", "community_creator", POLICY, now, jti="j-7"))
    verifier = TokenVerifier("ecommunity", "ecommunity-api", lambda: {"keys": [key.jwk()]})
    actor = verifier.verify(token)
    assert (actor.user_id, actor.platform_role, actor.affiliation, actor.token_id) == (
        "u-7",
        "community_creator",
        "public",
        "j-7",
    )
    assert "d" not in key.jwk()  # the public half only


def test_a_token_pair_says_bearer_and_the_access_lifetime():
    assert domain.token_pair("a", "r", POLICY) == {
        "access_token": "a",
        "refresh_token": "r",
        "token_type": "Bearer",
        "expires_in": 900,
    }


# -- refresh tokens ----------------------------------------------------------------------------


def state(expires_in=60, used=False, revoked=False, active=True):
    return RefreshTokenState(
        expires_at=NOW + timedelta(seconds=expires_in),
        used_at=NOW if used else None,
        family_revoked_at=NOW if revoked else None,
        user_active=active,
    )


@pytest.mark.parametrize(
    ("token", "verdict"),
    [
        (state(), RefreshVerdict.ROTATE),
        (None, RefreshVerdict.INVALID),
        (state(expires_in=0), RefreshVerdict.INVALID),
        (state(active=False), RefreshVerdict.INVALID),
        (state(used=True), RefreshVerdict.REUSED),
        (state(revoked=True), RefreshVerdict.REUSED),
        (state(expires_in=-60, used=True), RefreshVerdict.REUSED),  # reuse wins over expiry
    ],
)
def test_refresh_verdicts(token, verdict):
    assert domain.judge_refresh(token, NOW) is verdict


def test_refresh_tokens_are_stored_as_sha256():
    digest = domain.refresh_token_digest("token")
    assert digest == "3c469e9d6c5875d37a43f353d4f88e61fcf812c66eee3457465a40b0da4153e0"
    assert "token" not in digest


# -- signing keys ------------------------------------------------------------------------------


def test_the_signing_key_is_published():
    assert domain.key_is_published(None, 900, NOW)


def test_a_superseded_key_is_published_until_its_last_token_expired_plus_the_margin():
    superseded = NOW - timedelta(seconds=900)  # its last token expires just now
    assert domain.key_is_published(superseded, 900, NOW)
    retires = domain.key_retires_at(superseded, 900)
    assert retires == NOW + domain.KEY_RETIREMENT_MARGIN
    assert domain.key_is_published(superseded, 900, retires - timedelta(seconds=1))
    assert not domain.key_is_published(superseded, 900, retires)
