"""Input schemas (what becomes InvalidInput) and password hashing, without a broker or a database."""

import pytest
from argon2 import PasswordHasher

from kernel.errors import InvalidInput, Unauthenticated
from services.identity import schemas
from services.identity.credentials import PasswordHashing, new_refresh_token

REGISTRATION = schemas.Registration()


def register(**overrides):
    data = {"email": "ana@example.org", "password": "p" * 12, "display_name": "Ana"}
    data.update(overrides)
    return schemas.load(REGISTRATION, data)


def test_registration_normalises_the_email_and_defaults_the_locale():
    loaded = register(email="  Ana@Example.ORG ", display_name="  Ana  ")
    assert loaded["email"] == "ana@example.org"
    assert loaded["display_name"] == "Ana"
    assert loaded["locale"] == "en"


@pytest.mark.parametrize("email", ["ana", "ana@", "@example.org", "ana example@x.org", ""])
def test_a_malformed_email_is_invalid_email(email):
    with pytest.raises(InvalidInput) as caught:
        register(email=email)
    assert caught.value.code == "invalid-email"
    assert caught.value.extra["errors"]["email"]


@pytest.mark.parametrize(
    ("field", "value"), [("display_name", ""), ("display_name", "x" * 101), ("locale", "english"), ("password", 42)]
)
def test_other_bad_fields_are_invalid_input(field, value):
    with pytest.raises(InvalidInput) as caught:
        register(**{field: value})
    assert caught.value.code == "invalid-input"
    assert list(caught.value.extra["errors"]) == [field]


def test_profile_changes_are_validated_and_canonicalised():
    changes = schemas.load(
        schemas.ProfileChanges(),
        {"languages": ["en-gb", "FR"], "expertise": [" Python "], "avatar_url": "https://x.org/a.png", "bio": None},
    )
    assert changes == {
        "languages": ["en-GB", "fr"],
        "expertise": ["Python"],
        "avatar_url": "https://x.org/a.png",
        "bio": None,
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"bio": "x" * 2001},
        {"avatar_url": "ftp://x.org/a.png"},
        {"avatar_url": "javascript:alert(1)"},
        {"languages": ["klingon!"]},
        {"languages": "en"},
        {"expertise": [""]},
        {"platform_role": "admin"},
        {"email": "new@example.org"},
    ],
)
def test_bad_profile_changes_are_invalid_input(changes):
    with pytest.raises(InvalidInput) as caught:
        schemas.load(schemas.ProfileChanges(), changes)
    assert set(caught.value.extra["errors"]) == set(changes)


def test_an_rpc_without_an_actor_is_unauthenticated():
    with pytest.raises(Unauthenticated):
        schemas.actor_of(None)
    assert (
        schemas.actor_of(
            {
                "user_id": "u",
                "platform_role": "member",
                "affiliation": "public",
                "organization_id": None,
                "expert": False,
            }
        ).user_id
        == "u"
    )


def test_the_user_output_never_carries_the_password_hash():
    dumped = schemas.User().dump(
        {"id": "0b7c2a4e-3d1f-4c5a-9e8b-7f6a5d4c3b2a", "email": "a@b.org", "password_hash": "h"}
    )
    assert "password_hash" not in dumped


@pytest.fixture
def hashing():
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHashing(cheap, run=lambda function, *args: function(*args))


def test_passwords_are_hashed_with_argon2id_and_verified(hashing):
    stored = hashing.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert hashing.verify(stored, "correct horse battery")
    assert not hashing.verify(stored, "wrong horse battery")
    assert not hashing.verify("not a hash", "correct horse battery")


def test_an_unknown_account_is_verified_against_a_dummy_hash(hashing):
    calls = []
    hashing.run = lambda function, *args: calls.append(function.__name__) or function(*args)
    assert hashing.verify_unknown("anything") is False
    assert calls == ["hash", "_verify"]  # the dummy hash is made once, then verified like a real one
    hashing.verify_unknown("anything")
    assert calls == ["hash", "_verify", "_verify"]


def test_hashes_made_with_weaker_parameters_need_a_rehash(hashing):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
    assert not hashing.needs_rehash(weak)
    assert PasswordHashing().needs_rehash(weak)


def test_refresh_tokens_are_long_and_distinct():
    tokens = {new_refresh_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) >= 43 for t in tokens)


def test_no_more_than_the_allowed_hashes_run_at_once():
    import eventlet

    running, peak = [0], [0]

    def slow(function, *args):
        running[0] += 1
        peak[0] = max(peak[0], running[0])
        eventlet.sleep(0.01)
        running[0] -= 1
        return function(*args)

    hashing = PasswordHashing(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1), run=slow, max_concurrent=2)
    pool = eventlet.GreenPool()
    for _ in range(6):
        pool.spawn(hashing.hash, "pw")
    pool.waitall()
    assert peak[0] == 2
