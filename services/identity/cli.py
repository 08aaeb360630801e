"""``ecommunity-identity``: identity's operator commands, run outside the service.

``ecommunity-identity create-admin`` makes the first admin from ``ECOMMUNITY_ADMIN_EMAIL`` and
``ECOMMUNITY_ADMIN_PASSWORD`` (``make run`` calls it after the migrations). It is idempotent: an
account with that email is promoted to admin (its password is left as it is); without one, an
account is created with a verified email. The password policy applies. It writes to the identity
schema directly, in one transaction with its events (``user.registered``, ``user.role_changed``)
in the outbox; the identity service's relay publishes them. It prints one line and exits 0, or 1
when it could not do its job. With neither variable set it does nothing and exits 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

import psycopg2

from kernel.config import ConfigError, Settings, check_postgres
from kernel.db import ConnectionPool, Transaction
from kernel.errors import ServiceError
from kernel.events.catalog import USER_REGISTERED, USER_ROLE_CHANGED
from services.identity import domain, schemas
from services.identity.credentials import PasswordHashing
from services.identity.people_rules import SYSTEM_ACTOR
from services.identity.people_storage import PeopleStorage

EMAIL_VARIABLE = "ECOMMUNITY_ADMIN_EMAIL"
PASSWORD_VARIABLE = "ECOMMUNITY_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a password
ADMIN_DISPLAY_NAME = "Administrator"


class AdminSetupError(RuntimeError):
    """The admin could not be made; the message says why, in one line."""


def _hash_here(function, *args):
    return function(*args)  # no eventlet hub in a command: hash in this thread


def create_admin(database_url: str, email: str, password: str, now: datetime | None = None) -> str:
    """Make ``email`` an admin (creating the account if needed); returns what was done, in one line."""
    data = _checked(email, password)
    now = now or datetime.now(UTC)
    pool = ConnectionPool(database_url, "identity", size=1, application_name="ecommunity-identity-cli")
    tx = Transaction(pool, source="identity")
    try:
        line = _make_admin(tx, data["email"], data["password"], now)
        tx.commit()
        return line
    finally:
        tx.release()
        pool.close()


def _checked(email: str, password: str) -> dict:
    try:
        data = schemas.load(
            schemas.Registration(), {"email": email, "password": password, "display_name": ADMIN_DISPLAY_NAME}
        )
    except ServiceError as exc:
        raise AdminSetupError(f"{EMAIL_VARIABLE} or {PASSWORD_VARIABLE} is not valid: {exc.extra['errors']}") from None
    weaknesses = domain.password_weaknesses(data["password"], data["email"])
    if weaknesses:
        raise AdminSetupError(
            f"{PASSWORD_VARIABLE} is too weak: " + " ".join(weakness.message for weakness in weaknesses)
        )
    return data


def _make_admin(tx: Transaction, email: str, password: str, now: datetime) -> str:
    people = PeopleStorage(tx)
    user = people.user_by_email(email, for_update=True)
    if user is None:
        password_hash = PasswordHashing(run=_hash_here).hash(password)
        user = people.insert_verified_user(email, password_hash, ADMIN_DISPLAY_NAME, now)
        if user is None:  # created meanwhile by a registration: promote that one
            user = people.user_by_email(email, for_update=True)
        else:
            tx.emit(USER_REGISTERED, subject=f"user/{user['id']}", data=domain.registered_event(user))
            _promote(tx, people, user, now)
            return f"create-admin: created the admin account {email} (user {user['id']})"
    assert user is not None
    if user["platform_role"] == "admin":
        return f"create-admin: {email} is already an admin; nothing to do"
    _promote(tx, people, user, now)
    return f"create-admin: promoted {email} (user {user['id']}) from {user['platform_role']} to admin"


def _promote(tx: Transaction, people: PeopleStorage, user: Mapping, now: datetime) -> None:
    user_id = str(user["id"])
    people.set_platform_role(user_id, "admin", now)
    tx.emit(
        USER_ROLE_CHANGED,
        subject=f"user/{user_id}",
        data={"user_id": user_id, "previous_role": user["platform_role"], "role": "admin", "changed_by": SYSTEM_ACTOR},
    )


def create_admin_from_env(env: Mapping[str, str]) -> tuple[int, str]:
    """The exit status and the line ``create-admin`` prints for this environment."""
    email, password = env.get(EMAIL_VARIABLE, ""), env.get(PASSWORD_VARIABLE, "")
    if not email and not password:
        return 0, f"create-admin: {EMAIL_VARIABLE} and {PASSWORD_VARIABLE} are not set; no admin created"
    if not email or not password:
        missing = EMAIL_VARIABLE if not email else PASSWORD_VARIABLE
        return 1, f"create-admin: failed: {missing} is not set (set both, or neither)"
    try:
        _checked(email, password)  # before any connection: a weak password fails the same everywhere
        settings = Settings.from_env(dict(env))
    except (AdminSetupError, ConfigError) as exc:
        return 1, f"create-admin: failed: {exc}"
    unreachable = check_postgres(settings.database_url)
    if unreachable:
        return 1, f"create-admin: failed: {unreachable}"
    try:
        return 0, create_admin(settings.database_url, email, password)
    except AdminSetupError as exc:
        return 1, f"create-admin: failed: {exc}"
    except psycopg2.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return 1, f"create-admin: failed: {reason} (has `make migrate` run?)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ecommunity-identity", description="Identity's operator commands.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "create-admin",
        help=f"make the first admin from {EMAIL_VARIABLE} and {PASSWORD_VARIABLE} (idempotent)",
    )
    commands.add_parser(
        "rotate-signing-key",
        help="make a new key sign access tokens; the old keys verify until their tokens expire",
    )
    args = parser.parse_args(argv)
    if args.command == "rotate-signing-key":
        status, line = rotate_signing_key(os.environ)
    else:
        status, line = create_admin_from_env(os.environ)
    print(line, file=sys.stdout if status == 0 else sys.stderr)
    return status


def rotate_signing_key(env: Mapping[str, str]) -> tuple[int, str]:
    """Ask the running identity service to rotate (the rule lives in one place: the service)."""
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    from kernel.config import ConfigError, Settings, check_rabbitmq

    try:
        settings = Settings.from_env(dict(env))
    except ConfigError as exc:
        return 1, f"rotate-signing-key: {exc}"
    problem = check_rabbitmq(settings.amqp_uri)
    if problem:
        return 1, f"rotate-signing-key: {problem}"
    try:
        with ClusterRpcProxy({"AMQP_URI": settings.amqp_uri}, timeout=settings.rpc_timeout) as rpc:
            kid = rpc.identity.rotate_signing_key()["kid"]
    except (RpcTimeout, UnknownService):
        return 1, "rotate-signing-key: the identity service is not running; start it and try again"
    return 0, f"rotate-signing-key: key {kid} signs new access tokens; older keys verify until their tokens expire"


if __name__ == "__main__":
    sys.exit(main())
