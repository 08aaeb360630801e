"""``ecommunity-identity create-admin``: what it says and its exit status before it touches a database."""

import pytest

from services.identity.cli import create_admin_from_env, main


def test_without_either_variable_it_does_nothing_and_succeeds():
    status, line = create_admin_from_env({})
    assert status == 0
    assert "no admin created" in line


@pytest.mark.parametrize(
    "env",
    [{"ECOMMUNITY_ADMIN_EMAIL": "root@example.org"}, {"ECOMMUNITY_ADMIN_PASSWORD": "violet-otter-carries-maps"}],
)
def test_one_variable_alone_is_a_failure(env):
    status, line = create_admin_from_env(env)
    assert status == 1
    assert "set both, or neither" in line


@pytest.mark.parametrize(
    ("password", "email", "reason"),
    [("short", "root@example.org", "too weak"), ("violet-otter-carries-maps", "not-an-email", "not valid")],
)
def test_the_password_policy_and_the_email_are_checked_first(password, email, reason):
    status, line = create_admin_from_env({"ECOMMUNITY_ADMIN_EMAIL": email, "ECOMMUNITY_ADMIN_PASSWORD": password})
    assert status == 1
    assert reason in line
    assert "\n" not in line


def test_main_prints_one_line(monkeypatch, capsys):
    monkeypatch.delenv("ECOMMUNITY_ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("ECOMMUNITY_ADMIN_PASSWORD", raising=False)
    assert main(["create-admin"]) == 0
    assert capsys.readouterr().out.count("\n") == 1
