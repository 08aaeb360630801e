"""The real platform, started as `make run` starts it, used over HTTP."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from kernel.config import SERVICES
from kernel.launcher import DIE_WITH_PARENT
from kernel.testing.processes import ServiceProcess, http_ok, settings_env
from kernel.testing.proxy import TcpProxy
from kernel.testing.waiting import eventually

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def launched(make_settings, tmp_path):
    """``ecommunity-launch`` (what `make run` runs) with this run's database and vhost."""
    settings = make_settings(log_level="DEBUG", log_format="json")
    log_path = tmp_path / "platform.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kernel.launcher"],
            env={**os.environ, **settings_env(settings), "PYTHONWARNINGS": "ignore", DIE_WITH_PARENT: "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    gateway = f"http://127.0.0.1:{settings.gateway_port}"
    try:
        urls = [gateway] + [f"http://127.0.0.1:{port}" for port in settings.service_http_ports.values()]
        eventually(
            lambda: proc.poll() is not None or all(http_ok(url + "/readyz") for url in urls),
            timeout=90,
            what="every process to be ready",
        )
        assert proc.poll() is None, log_path.read_text()
        yield proc, gateway, settings, log_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the launcher stops its children
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_make_run_starts_everything_and_ctrl_c_stops_it_cleanly(launched):
    proc, gateway, settings, log_path = launched
    assert requests.get(gateway + "/readyz", timeout=5).json()["checks"] == {"rabbitmq": "ok", "postgresql": "ok"}
    for name in SERVICES:
        port = settings.service_http_ports[name]
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200, name

    response = requests.get(gateway + "/v1/ping", headers={"X-Request-ID": "e2e-trace-7"}, timeout=15)
    assert response.status_code == 200
    assert set(response.json()["services"]) == set(SERVICES)
    assert response.headers["X-Request-ID"] == "e2e-trace-7"

    # one correlation id, followed from the gateway into every service's logs
    def traced_services():
        services = set()
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"e2e-trace-7"' in line:
                services.add(json.loads(line)["service"])
        return services

    eventually(lambda: traced_services() >= {*SERVICES, "gateway"}, what="the id in every service's logs")

    proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert proc.wait(60) == 0
    assert "ecommunity: stopped" in log_path.read_text()
    assert "Traceback" not in log_path.read_text()
    for name in SERVICES:
        assert not http_ok(f"http://127.0.0.1:{settings.service_http_ports[name]}/healthz", timeout=0.5), name


def test_readyz_is_503_while_postgresql_is_away(make_settings, tmp_path):
    settings = make_settings()
    proxy = TcpProxy("127.0.0.1", 5432)
    through_proxy = settings.__class__(**{**settings.__dict__, "database_url": proxy.url_for(settings.database_url)})
    gateway = ServiceProcess("gateway", through_proxy, tmp_path, settings.gateway_port).start()
    try:
        gateway.wait_ready()
        proxy.cut()
        response = requests.get(gateway.url + "/readyz", timeout=10)
        assert response.status_code == 503
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["checks"]["rabbitmq"] == "ok"
        assert "PostgreSQL" in response.json()["checks"]["postgresql"]
        assert requests.get(gateway.url + "/healthz", timeout=5).status_code == 200  # alive, not ready
        proxy.restore()
        eventually(lambda: http_ok(gateway.url + "/readyz"), what="ready again")
    finally:
        gateway.stop()
        proxy.close()


def test_a_service_that_is_down_is_a_503_problem_naming_it(make_settings, tmp_path):
    settings = make_settings(rpc_timeout=3.0)
    gateway = ServiceProcess("gateway", settings, tmp_path, settings.gateway_port).start()
    identity = ServiceProcess("identity", settings, tmp_path, settings.service_http_ports["identity"]).start()
    try:
        gateway.wait_ready()
        identity.wait_ready()
        assert requests.get(gateway.url + "/v1/ping/identity", timeout=15).status_code == 200
        response = requests.get(gateway.url + "/v1/ping/spaces", timeout=15)
        assert response.status_code == 503
        assert response.headers["Content-Type"] == "application/problem+json"
        assert "spaces" in response.text
    finally:
        identity.stop()
        gateway.stop()


def test_unknown_paths_and_wrong_methods_are_problems_over_the_wire(make_settings, tmp_path):
    settings = make_settings()
    gateway = ServiceProcess("gateway", settings, tmp_path, settings.gateway_port).start()
    try:
        gateway.wait_ready()
        missing = requests.get(gateway.url + "/v1/nowhere", timeout=5)
        assert missing.status_code == 404
        assert missing.headers["Content-Type"] == "application/problem+json"
        wrong = requests.delete(gateway.url + "/v1/ping", timeout=5)
        assert wrong.status_code == 405
        assert wrong.headers["Content-Type"] == "application/problem+json"
        assert "GET" in wrong.headers["Allow"]
        assert requests.get(gateway.url + "/healthz", timeout=5).status_code == 200  # still alive
    finally:
        gateway.stop()
