"""Start the real processes as ``make run`` does, watch them, stop or kill them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from kernel.config import Settings
from kernel.launcher import DIE_WITH_PARENT


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that reproduce ``settings`` in a child process."""
    env = {
        "AMQP_URI": settings.amqp_uri,
        "DATABASE_URL": settings.database_url,
        "GATEWAY_PORT": str(settings.gateway_port),
        "GATEWAY_MAX_BODY_BYTES": str(settings.gateway_max_body_bytes),
        "RPC_TIMEOUT_SECONDS": str(int(settings.rpc_timeout)),
        "MAX_WORKERS": str(settings.max_workers),
        "DB_POOL_SIZE": str(settings.db_pool_size),
        "EVENT_RETRY_DELAYS": ",".join(str(d) for d in settings.event_retry_delays),
        "EVENT_QUEUE_TYPE": settings.event_queue_type,
        "EVENT_BATCH_MAX": str(settings.event_batch_max),
        "OUTBOX_RELAY_ENABLED": "true" if settings.outbox_relay_enabled else "false",
        "OUTBOX_BATCH_SIZE": str(settings.outbox_batch_size),
        "OUTBOX_POLL_SECONDS": str(settings.outbox_poll_seconds),
        "OUTBOX_BACKOFF_MAX_SECONDS": str(settings.outbox_backoff_max_seconds),
        "SHUTDOWN_GRACE_SECONDS": str(int(settings.shutdown_grace_seconds)),
        "TOKEN_ISSUER": settings.token_issuer,
        "TOKEN_AUDIENCE": settings.token_audience,
        "ACCESS_TOKEN_TTL_SECONDS": str(settings.access_token_ttl_seconds),
        "REFRESH_TOKEN_TTL_SECONDS": str(settings.refresh_token_ttl_seconds),
        "LOG_LEVEL": settings.log_level,
        "LOG_FORMAT": settings.log_format,
    }
    for name, port in settings.service_http_ports.items():
        env[f"{name.upper()}_HTTP_PORT"] = str(port)
    return env


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class ServiceProcess:
    """One ``ecommunity-service <target>`` child process with its output in ``log_path``."""

    def __init__(self, target: str, settings: Settings, log_dir: Path, port: int, extra_env: dict | None = None):
        self.target = target
        self.settings = settings
        self.port = port
        self.log_path = Path(log_dir) / f"{target.replace(':', '_').replace('.', '_')}.log"
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None

    def start(self) -> ServiceProcess:
        # a test run that dies leaves no service behind
        env = {
            **os.environ,
            **settings_env(self.settings),
            **self.extra_env,
            "PYTHONUNBUFFERED": "1",
            DIE_WITH_PARENT: "1",
        }
        env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kernel.runner", self.target],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        log.close()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.target} exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            if http_ok(self.url + "/readyz"):
                return
            time.sleep(0.2)
        raise TimeoutError(f"{self.target} not ready after {timeout}s:\n{self.output()[-3000:]}")

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (graceful), then SIGKILL if it does not exit in time; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def kill(self) -> None:
        """SIGKILL: the process dies wherever it is (no cleanup, no flush)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
