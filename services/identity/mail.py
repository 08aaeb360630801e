"""Outgoing mail: SMTP in production, a folder of ``.eml`` files everywhere else.

``Mailer`` is a nameko dependency: a worker calls ``self.mail.send(to, subject, text)``. Where the
mail goes is read from the environment when the container starts — ``kernel.config.Settings`` has
no mail fields yet, so this module reads ``os.environ`` itself:

- ``SMTP_HOST`` set: SMTP to that host (``SMTP_PORT``, default 587; ``SMTP_USERNAME`` and
  ``SMTP_PASSWORD``, optional; ``SMTP_STARTTLS``, default true);
- otherwise each message is written as one RFC 5322 file (``<time>-<id>.eml``) into ``MAIL_DIR``
  (default ``var/mail`` under the current directory, created if needed) — for development and tests.

``MAIL_FROM`` is the sender (default ``eCommunity <no-reply@ecommunity.local>``).

Mail is sent from inside the entrypoint, after the token it carries is stored but *before* the
worker's transaction commits: the kernel has no after-commit hook yet. If the commit then fails, the
user holds a token that does not work; if sending fails, the call fails and nothing is stored. Either
way nothing is lost that asking again (another reset, another verification) does not recover.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from nameko.extensions import DependencyProvider

DEFAULT_MAIL_DIR = Path("var") / "mail"
DEFAULT_FROM = "eCommunity <no-reply@ecommunity.local>"
DEFAULT_SMTP_PORT = 587
SMTP_TIMEOUT_SECONDS = 15


class MailTransport(Protocol):
    def deliver(self, message: EmailMessage) -> None: ...


def compose(sender: str, to: str, subject: str, text: str) -> EmailMessage:
    """A plain-text RFC 5322 message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content(text)
    return message


@dataclass(frozen=True)
class MailFolder:
    """Writes each message to its own ``.eml`` file, atomically (a reader never sees half a message)."""

    directory: Path

    def deliver(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        partial = self.directory / f".{name}.tmp"
        partial.write_bytes(message.as_bytes())
        partial.replace(self.directory / name)


@dataclass(frozen=True)
class SmtpRelay:
    """Sends through an SMTP server, with STARTTLS unless it is turned off."""

    host: str
    port: int = DEFAULT_SMTP_PORT
    username: str | None = None
    password: str | None = None
    starttls: bool = True

    def deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={raw!r} must be true or false")


def transport_from_env(env: Mapping[str, str]) -> MailTransport:
    """SMTP when ``SMTP_HOST`` is set, else the ``MAIL_DIR`` folder (see the module docstring)."""
    host = env.get("SMTP_HOST", "").strip()
    if host:
        port_text = env.get("SMTP_PORT", "").strip()
        try:
            port = int(port_text) if port_text else DEFAULT_SMTP_PORT
        except ValueError:
            raise ValueError(f"SMTP_PORT={port_text!r} is not a port number") from None
        return SmtpRelay(
            host=host,
            port=port,
            username=env.get("SMTP_USERNAME") or None,
            password=env.get("SMTP_PASSWORD") or None,
            starttls=_flag(env, "SMTP_STARTTLS", True),
        )
    return MailFolder(Path(env.get("MAIL_DIR") or DEFAULT_MAIL_DIR))


@dataclass(frozen=True)
class Outbox:
    """What a worker gets: ``send(to, subject, text)``."""

    transport: MailTransport
    sender: str

    def send(self, to: str, subject: str, text: str) -> None:
        self.transport.deliver(compose(self.sender, to, subject, text))


class Mailer(DependencyProvider):
    """Gives a worker an ``Outbox`` configured from the environment at start."""

    def setup(self):
        self.outbox = Outbox(transport_from_env(os.environ), os.environ.get("MAIL_FROM") or DEFAULT_FROM)

    def get_dependency(self, worker_ctx):
        return self.outbox
