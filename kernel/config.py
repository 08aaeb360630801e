"""Configuration: environment variables with defaults that work on a developer machine.

Every process reads its settings here and nowhere else. ``Settings.from_env()`` is pure;
``preflight()`` checks that each dependency answers and, if one does not, returns one line
naming it and saying how to start it (the runner prints that line and exits, no traceback).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

SERVICES = ("identity", "spaces", "publishing", "gamification", "hotline")

#: the class each process runs (``ecommunity-service <name>``)
SERVICE_CLASSES = {
    "identity": "services.identity.service:IdentityService",
    "spaces": "services.spaces.service:SpacesService",
    "publishing": "services.publishing.service:PublishingService",
    "gamification": "services.gamification.service:GamificationService",
    "hotline": "services.hotline.service:HotlineService",
    "gateway": "gateway.service:GatewayService",
}


def load_class(target: str):
    """The service class for a name in SERVICE_CLASSES or a ``module:Class`` path."""
    import importlib

    module_name, _, class_name = SERVICE_CLASSES.get(target, target).partition(":")
    return getattr(importlib.import_module(module_name), class_name)


#: port of each service's small HTTP listener (/metrics, /healthz, /readyz)
DEFAULT_SERVICE_HTTP_PORTS = {
    "identity": 9101,
    "spaces": 9102,
    "publishing": 9103,
    "gamification": 9104,
    "hotline": 9105,
}

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/ecommunity"


class ConfigError(ValueError):
    """A setting has a value that cannot work; the message names the variable."""


def _int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def _float_list(env: dict[str, str], name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    raw = env.get(name)
    if not raw:
        return default
    try:
        values = tuple(float(part) for part in raw.split(","))
    except ValueError:
        raise ConfigError(f"{name}={raw!r} must be a comma-separated list of seconds") from None
    if any(v < 0 for v in values):
        raise ConfigError(f"{name}={raw!r} must not contain negative delays")
    return values


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} must be true or false")


@dataclass(frozen=True)
class Settings:
    amqp_uri: str = DEFAULT_AMQP_URI
    database_url: str = DEFAULT_DATABASE_URL
    gateway_port: int = 8000
    gateway_max_body_bytes: int = 1024 * 1024
    rpc_timeout: float = 10.0
    max_workers: int = 10
    service_http_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SERVICE_HTTP_PORTS))
    db_pool_size: int = 10
    #: delays between the attempts of a failing event handler; len + 1 attempts in all
    event_retry_delays: tuple[float, ...] = (0.5, 2.0, 8.0)
    #: most events one consumer worker applies in one transaction
    event_batch_max: int = 50
    #: classic for one machine, quorum for a RabbitMQ cluster
    event_queue_type: str = "classic"
    outbox_relay_enabled: bool = True
    outbox_batch_size: int = 500
    outbox_poll_seconds: float = 1.0
    outbox_backoff_max_seconds: float = 30.0
    #: access tokens: who signs them (iss), who they are for (aud), how long they live
    token_issuer: str = "ecommunity"  # noqa: S105 - a name, not a secret
    token_audience: str = "ecommunity-api"  # noqa: S105 - a name, not a secret
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    #: how long SIGTERM waits for running work before the process is killed
    shutdown_grace_seconds: float = 20.0
    log_level: str = "INFO"
    log_format: str = "json"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        ports = dict(DEFAULT_SERVICE_HTTP_PORTS)
        for name in SERVICES:
            ports[name] = _int(env, f"{name.upper()}_HTTP_PORT", ports[name], 1)
        # other nameko services built on the kernel (tools, probes) may set <NAME>_HTTP_PORT too;
        # values that are not port numbers (e.g. Kubernetes service links, tcp://...) are not ours
        for key, raw in env.items():
            name = key[: -len("_HTTP_PORT")].lower()
            if key.endswith("_HTTP_PORT") and name not in ports and raw.isdigit() and 0 < int(raw) < 65536:
                ports[name] = int(raw)
        queue_type = env.get("EVENT_QUEUE_TYPE", "classic")
        if queue_type not in ("classic", "quorum"):
            raise ConfigError(f"EVENT_QUEUE_TYPE={queue_type!r} must be classic or quorum")
        log_format = env.get("LOG_FORMAT", "json")
        if log_format not in ("json", "text"):
            raise ConfigError(f"LOG_FORMAT={log_format!r} must be json or text")
        settings = cls(
            amqp_uri=env.get("AMQP_URI") or DEFAULT_AMQP_URI,
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            gateway_port=_int(env, "GATEWAY_PORT", 8000, 1),
            gateway_max_body_bytes=_int(env, "GATEWAY_MAX_BODY_BYTES", 1024 * 1024, 1),
            rpc_timeout=float(_int(env, "RPC_TIMEOUT_SECONDS", 10, 1)),
            max_workers=_int(env, "MAX_WORKERS", 10, 1),
            service_http_ports=ports,
            db_pool_size=_int(env, "DB_POOL_SIZE", 10, 1),
            event_retry_delays=_float_list(env, "EVENT_RETRY_DELAYS", (0.5, 2.0, 8.0)),
            event_batch_max=_int(env, "EVENT_BATCH_MAX", 50, 1),
            event_queue_type=queue_type,
            outbox_relay_enabled=_bool(env, "OUTBOX_RELAY_ENABLED", True),
            outbox_batch_size=_int(env, "OUTBOX_BATCH_SIZE", 500, 1),
            outbox_poll_seconds=float(env.get("OUTBOX_POLL_SECONDS") or 1.0),
            outbox_backoff_max_seconds=float(env.get("OUTBOX_BACKOFF_MAX_SECONDS") or 30.0),
            shutdown_grace_seconds=float(_int(env, "SHUTDOWN_GRACE_SECONDS", 20, 1)),
            token_issuer=env.get("TOKEN_ISSUER") or "ecommunity",
            token_audience=env.get("TOKEN_AUDIENCE") or "ecommunity-api",
            access_token_ttl_seconds=_int(env, "ACCESS_TOKEN_TTL_SECONDS", 900, 10),
            refresh_token_ttl_seconds=_int(env, "REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600, 60),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            log_format=log_format,
        )
        for name, url in (("AMQP_URI", settings.amqp_uri), ("DATABASE_URL", settings.database_url)):
            parts = urlsplit(url)
            if not parts.scheme or not parts.hostname:
                raise ConfigError(f"{name}={redact(url)!r} is not a URL")
        return settings

    def nameko_config(self, service: str) -> dict:
        """The dict nameko containers are built from (the kernel keys are ours)."""
        http_port = self.gateway_port if service == "gateway" else self.service_http_ports.get(service, 0)
        return {
            "AMQP_URI": self.amqp_uri,
            "WEB_SERVER_ADDRESS": f"0.0.0.0:{http_port}",
            "max_workers": self.max_workers,
            "SERIALIZER": "json",
            # CloudEvents structured JSON, the format of every event message
            "SERIALIZERS": {
                "cloudevents": {
                    "encoder": "kernel.events.envelope.dumps",
                    "decoder": "kernel.events.envelope.loads",
                    "content_type": "application/cloudevents+json",
                    "content_encoding": "utf-8",
                }
            },
            "ACCEPT": ["json", "cloudevents"],
            "ECOMMUNITY_SETTINGS": self,
        }


def redact(url: str) -> str:
    """The URL with its password replaced, fit for a log line or an error."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def settings_of(container) -> Settings:
    """The Settings a nameko container was started with (or the environment's)."""
    settings = container.config.get("ECOMMUNITY_SETTINGS")
    return settings if isinstance(settings, Settings) else Settings.from_env()


def _tcp_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def check_postgres(url: str, timeout: int = 3) -> str | None:
    """None when PostgreSQL answers ``SELECT 1`` at ``url``, else one line saying why."""
    import psycopg2

    try:
        conn = psycopg2.connect(url, connect_timeout=timeout)
    except psycopg2.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
        if "does not exist" in reason:
            return f"PostgreSQL at {redact(url)} answers but {reason}; run `make migrate` (it creates the database)"
        return (
            f"PostgreSQL is not reachable at {redact(url)} ({reason}); start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
            "or set DATABASE_URL"
        )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
    finally:
        conn.close()
    return None


def check_rabbitmq(url: str, timeout: float = 3.0) -> str | None:
    """None when RabbitMQ accepts a connection at ``url``, else one line saying why."""
    from kombu import Connection

    parts = urlsplit(url)
    if not _tcp_answers(parts.hostname or "127.0.0.1", parts.port or 5672, timeout):
        return f"RabbitMQ is not reachable at {redact(url)}; start it with `rabbitmq-server -detached` or set AMQP_URI"
    try:
        with Connection(url, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu raises many transport-specific types  # noqa: BLE001
        return f"RabbitMQ at {redact(url)} refused the connection ({exc}); check AMQP_URI's user, password and vhost"
    return None


def preflight(settings: Settings, need_database: bool = True) -> list[str]:
    """Lines describing each dependency that does not answer; empty when all do."""
    problems = []
    if need_database:
        line = check_postgres(settings.database_url)
        if line:
            problems.append(line)
    line = check_rabbitmq(settings.amqp_uri)
    if line:
        problems.append(line)
    return problems
