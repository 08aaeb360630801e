"""One-time tokens and sign-in throttles: the pure rules, with fixed clocks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from services.identity import safeguards
from services.identity.safeguards import (
    ACCOUNT_POLICY,
    ADDRESS_POLICY,
    PASSWORD_RESET,
    VERIFY_EMAIL,
    OneTimeTokenState,
    Throttle,
    ThrottleScope,
    after_failure,
    just_locked,
    lockout_length,
    retry_after_seconds,
    token_is_usable,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# -- one-time tokens ------------------------------------------------------------------------------


def test_tokens_are_random_and_stored_as_their_sha256():
    first, second = safeguards.new_one_time_token(), safeguards.new_one_time_token()
    assert first != second
    assert len(first) >= 43  # 32 random bytes, URL-safe base64
    assert safeguards.token_digest(first) == hashlib.sha256(first.encode()).hexdigest()
    assert first not in safeguards.token_digest(first)


def test_a_verification_lasts_48_hours_and_a_reset_one():
    assert safeguards.token_expiry(VERIFY_EMAIL, NOW) == NOW + timedelta(hours=48)
    assert safeguards.token_expiry(PASSWORD_RESET, NOW) == NOW + timedelta(hours=1)


def state(purpose=PASSWORD_RESET, expires_in=timedelta(minutes=30), used=False, active=True):
    return OneTimeTokenState(purpose, NOW + expires_in, NOW - timedelta(minutes=1) if used else None, active)


@pytest.mark.parametrize(
    ("token", "usable"),
    [
        (state(), True),
        (None, False),  # unknown
        (state(used=True), False),  # single use
        (state(expires_in=timedelta(0)), False),  # expired at its expiry instant
        (state(expires_in=-timedelta(seconds=1)), False),
        (state(purpose=VERIFY_EMAIL), False),  # a verification token resets nothing
        (state(active=False), False),  # the account was deleted
    ],
)
def test_a_token_is_usable_once_before_it_expires_for_its_purpose(token, usable):
    assert token_is_usable(token, PASSWORD_RESET, NOW) is usable


def test_reset_mails_are_limited_per_hour():
    assert safeguards.may_send_reset_mail(0)
    assert safeguards.may_send_reset_mail(safeguards.MAX_RESET_MAILS_PER_HOUR - 1)
    assert not safeguards.may_send_reset_mail(safeguards.MAX_RESET_MAILS_PER_HOUR)


# -- throttles ------------------------------------------------------------------------------------


def test_an_account_key_hides_the_email_and_an_address_key_is_the_address():
    key = safeguards.throttle_key(ThrottleScope.ACCOUNT, "ana@example.org")
    assert key == "account:" + hashlib.sha256(b"ana@example.org").hexdigest()
    assert "ana" not in key
    assert safeguards.throttle_key(ThrottleScope.ADDRESS, "203.0.113.9") == "address:203.0.113.9"


def test_lockouts_double_from_one_minute_up_to_an_hour():
    lengths = [lockout_length(n, ACCOUNT_POLICY) for n in range(1, 10)]
    assert lengths == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60, 60)]
    assert lockout_length(10_000, ACCOUNT_POLICY) == timedelta(hours=1)
    with pytest.raises(ValueError, match="from 1"):
        lockout_length(0, ACCOUNT_POLICY)


def fail(times, policy=ACCOUNT_POLICY, start=None, every=timedelta(seconds=1), throttle=None):
    now = start or NOW
    for _ in range(times):
        throttle = after_failure(throttle, policy, now)
        now += every
    return throttle


def test_four_failures_do_not_lock_the_fifth_does_for_a_minute():
    four = fail(4)
    assert (four.failures, four.locked_until, four.window_started_at) == (4, None, NOW)
    assert retry_after_seconds(four, NOW) is None
    fifth_at = NOW + timedelta(seconds=4)
    five = after_failure(four, ACCOUNT_POLICY, fifth_at)
    assert five.locked_until == fifth_at + timedelta(minutes=1)
    assert five.lockouts == 1
    assert five.failures == 0
    assert just_locked(four, five)
    assert retry_after_seconds(five, fifth_at) == 60
    assert retry_after_seconds(five, fifth_at + timedelta(seconds=59, milliseconds=1)) == 1  # rounded up
    assert retry_after_seconds(five, fifth_at + timedelta(minutes=1)) is None


def test_the_next_lockout_lasts_twice_as_long():
    first = fail(5)
    assert first.locked_until is not None
    second = fail(5, start=first.locked_until, throttle=first)
    assert second.lockouts == 2
    assert second.locked_until == first.locked_until + timedelta(seconds=4) + timedelta(minutes=2)


def test_failures_outside_the_window_start_a_new_count():
    spread = fail(10, every=ACCOUNT_POLICY.window / 4)  # never five within fifteen minutes
    assert spread.locked_until is None
    assert spread.failures <= 4


def test_an_address_takes_twenty_failures():
    assert fail(19, ADDRESS_POLICY).locked_until is None
    locked = fail(20, ADDRESS_POLICY)
    assert locked.locked_until is not None
    assert just_locked(fail(19, ADDRESS_POLICY), locked)


def test_a_key_left_alone_for_a_day_starts_again():
    old = Throttle(failures=3, window_started_at=NOW, lockouts=6, locked_until=NOW, updated_at=NOW)
    later = NOW + ACCOUNT_POLICY.forget_after
    after = after_failure(old, ACCOUNT_POLICY, later)
    assert (after.failures, after.lockouts, after.locked_until) == (1, 0, None)
    assert not just_locked(old, after)
    relocked = fail(5, start=later)
    assert relocked.lockouts == 1


def test_a_failure_that_does_not_lock_is_not_a_new_lockout():
    locked = fail(5)
    after_lock = after_failure(locked, ACCOUNT_POLICY, locked.locked_until + timedelta(seconds=1))
    assert after_lock.failures == 1
    assert not just_locked(locked, after_lock)
