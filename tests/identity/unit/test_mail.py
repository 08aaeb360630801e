"""The mail adapter: a folder of RFC 5322 files, or SMTP when SMTP_HOST is set."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from services.identity import mail
from services.identity.mail import MailFolder, Outbox, SmtpRelay, transport_from_env


def test_without_smtp_each_message_is_one_eml_file_in_mail_dir(tmp_path):
    folder = tmp_path / "not-yet" / "mail"
    transport = transport_from_env({"MAIL_DIR": str(folder)})
    assert transport == MailFolder(folder)
    outbox = Outbox(transport, "eCommunity <no-reply@example.org>")
    outbox.send("ana@example.org", "Hello", "First line\nToken: abc\n")
    outbox.send("bob@example.org", "Hi", "Second")
    files = sorted(folder.iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]  # no partial file is left behind
    message = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert message["To"] == "ana@example.org"
    assert message["From"] == "eCommunity <no-reply@example.org>"
    assert message["Subject"] == "Hello"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"]
    assert "Token: abc" in message.get_content()


def test_the_default_folder_is_var_mail_under_the_current_directory():
    assert transport_from_env({}) == MailFolder(Path("var") / "mail")


def test_smtp_host_selects_smtp_with_its_options():
    assert transport_from_env({"SMTP_HOST": "mail.example.org"}) == SmtpRelay("mail.example.org", 587)
    relay = transport_from_env(
        {
            "SMTP_HOST": "mail.example.org",
            "SMTP_PORT": "2525",
            "SMTP_USERNAME": "bot",
            "SMTP_PASSWORD": "secret",
            "SMTP_STARTTLS": "false",
            "MAIL_DIR": "/ignored",
        }
    )
    assert relay == SmtpRelay("mail.example.org", 2525, "bot", "secret", starttls=False)


@pytest.mark.parametrize(
    ("env", "message"),
    [({"SMTP_HOST": "h", "SMTP_PORT": "x"}, "SMTP_PORT"), ({"SMTP_HOST": "h", "SMTP_STARTTLS": "maybe"}, "STARTTLS")],
)
def test_a_bad_smtp_setting_is_refused_at_start(env, message):
    with pytest.raises(ValueError, match=message):
        transport_from_env(env)


class FakeSmtp:
    """Records what smtplib.SMTP was asked to do."""

    sessions: list[FakeSmtp] = []

    def __init__(self, host, port, timeout):
        self.address = (host, port)
        self.calls: list[tuple] = []
        FakeSmtp.sessions.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.calls.append(("quit",))

    def starttls(self, context):
        self.calls.append(("starttls",))

    def login(self, username, password):
        self.calls.append(("login", username))

    def send_message(self, message):
        self.calls.append(("send", message["To"]))


def test_smtp_sends_after_starttls_and_login(monkeypatch):
    FakeSmtp.sessions = []
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSmtp)
    Outbox(SmtpRelay("mail.example.org", 587, "bot", "pw"), "x@example.org").send("ana@example.org", "S", "T")
    Outbox(SmtpRelay("relay.local", 25, starttls=False), "x@example.org").send("bob@example.org", "S", "T")
    first, second = FakeSmtp.sessions
    assert first.address == ("mail.example.org", 587)
    assert first.calls == [("starttls",), ("login", "bot"), ("send", "ana@example.org"), ("quit",)]
    assert second.calls == [("send", "bob@example.org"), ("quit",)]
