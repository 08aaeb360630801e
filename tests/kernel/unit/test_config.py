import pytest

from kernel.config import DEFAULT_AMQP_URI, ConfigError, Settings, redact


def test_defaults_work_against_local_rabbitmq_and_postgresql():
    settings = Settings.from_env({})
    assert settings.amqp_uri == DEFAULT_AMQP_URI
    assert settings.database_url.startswith("postgresql://postgres@127.0.0.1:5432/")
    assert settings.gateway_port == 8000
    assert settings.service_http_ports["identity"] == 9101


def test_values_come_from_the_environment():
    settings = Settings.from_env(
        {"GATEWAY_PORT": "8080", "EVENT_RETRY_DELAYS": "1,2.5", "IDENTITY_HTTP_PORT": "7001", "PROBE_HTTP_PORT": "7002"}
    )
    assert settings.gateway_port == 8080
    assert settings.event_retry_delays == (1.0, 2.5)
    assert settings.service_http_ports["identity"] == 7001
    assert settings.service_http_ports["probe"] == 7002


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"GATEWAY_PORT": "eighty"}, "GATEWAY_PORT"),
        ({"GATEWAY_PORT": "0"}, "GATEWAY_PORT"),
        ({"EVENT_RETRY_DELAYS": "1,-2"}, "EVENT_RETRY_DELAYS"),
        ({"EVENT_QUEUE_TYPE": "stream"}, "EVENT_QUEUE_TYPE"),
        ({"OUTBOX_RELAY_ENABLED": "maybe"}, "OUTBOX_RELAY_ENABLED"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
    ],
)
def test_a_bad_value_is_refused_with_the_variables_name(env, names):
    with pytest.raises(ConfigError, match=names):
        Settings.from_env(env)


def test_passwords_are_redacted():
    assert redact("amqp://app:s3cret@mq:5672/") == "amqp://app:***@mq:5672/"
    assert "s3cret" not in str(ConfigError_for("postgresql://u:s3cret@/"))


def ConfigError_for(url):
    try:
        Settings.from_env({"DATABASE_URL": url})
    except ConfigError as exc:
        return exc
    return ""


def test_kubernetes_service_links_are_not_ports():
    settings = Settings.from_env({"X_HTTP_PORT": "tcp://10.0.0.1:80", "IDENTITY_HTTP_PORT": "9101"})
    assert "x" not in settings.service_http_ports
