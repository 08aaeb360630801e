"""A missing dependency gives one clear line naming it and how to start it — no traceback."""

import subprocess
import sys

import pytest

from kernel.testing.infra import free_port


def run_service(env_overrides, target="identity"):
    import os

    env = {**os.environ, "PYTHONWARNINGS": "ignore", **env_overrides}
    return subprocess.run(
        [sys.executable, "-m", "kernel.runner", target], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("override", "names", "how"),
    [
        ({"DATABASE_URL": "postgresql://postgres@127.0.0.1:{port}/x"}, "PostgreSQL", "pg_ctlcluster"),
        ({"AMQP_URI": "amqp://guest:guest@127.0.0.1:{port}/"}, "RabbitMQ", "rabbitmq-server -detached"),
    ],
)
def test_an_unreachable_dependency_is_one_line(override, names, how, database_url, amqp_uri):
    env = {"DATABASE_URL": database_url, "AMQP_URI": amqp_uri}
    env.update({k: v.format(port=free_port()) for k, v in override.items()})
    result = run_service(env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert names in lines[0]
    assert how in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unmigrated_database_says_to_migrate(base_settings, amqp_uri, run_id):
    from kernel.testing.infra import create_database, drop_database

    name = f"ecommunity_test_{run_id}_empty"
    url = create_database(base_settings.database_url, name)
    try:
        result = run_service({"DATABASE_URL": url, "AMQP_URI": amqp_uri})
    finally:
        drop_database(base_settings.database_url, name)
    assert result.returncode == 1
    assert "make migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_is_one_line():
    result = run_service({"GATEWAY_PORT": "eighty"})
    assert result.returncode == 2
    assert result.stderr.strip() == "ecommunity-identity: GATEWAY_PORT='eighty' is not an integer"


def test_sigterm_stops_a_service_even_when_its_broker_is_gone(make_settings, processes, vhost_admin, run_id):
    import time
    import uuid

    vhost = f"ecommunity_test_{run_id}_{uuid.uuid4().hex[:6]}"
    settings = make_settings(amqp_uri=vhost_admin.add(vhost), shutdown_grace_seconds=2.0)
    identity = processes("identity", settings, settings.service_http_ports["identity"])
    identity.wait_ready()
    vhost_admin.delete(vhost)  # the broker refuses it from now on: a graceful stop could wait forever
    time.sleep(1)
    started = time.monotonic()
    assert identity.stop(timeout=30) is not None
    assert time.monotonic() - started < 10, identity.output()[-2000:]
