"""The gateway over real HTTP, with the five real services on real RabbitMQ and PostgreSQL."""

import re

from openapi_spec_validator import validate

from kernel.config import SERVICES
from kernel.web import PROBLEM_CONTENT_TYPE


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:ecommunity:problem:")
    return body


def test_ping_reaches_every_service_and_its_database(gateway):
    response = gateway.get("/v1/ping", headers={"X-Request-ID": "ping-all-1"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-ID"] == "ping-all-1"
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["services"]) == set(SERVICES)
    for name, answer in body["services"].items():
        assert answer["service"] == name
        assert answer["database_time"]


def test_ping_one_service(gateway):
    response = gateway.get("/v1/ping/publishing")
    assert response.status_code == 200
    assert list(response.json()["services"]) == ["publishing"]
    assert response.headers["X-Request-ID"]  # made up when none was sent


def test_an_unknown_service_is_a_404_problem(gateway):
    body = problem(gateway.get("/v1/ping/billing"), 404)
    assert body["type"] == "urn:ecommunity:problem:unknown-service"


def test_an_unknown_path_is_a_404_problem(gateway):
    problem(gateway.get("/v2/nothing"), 404)
    problem(gateway.get("/v1/ping/identity/extra"), 404)


def test_a_wrong_method_is_a_405_problem_with_allow(gateway):
    response = gateway.request("POST", "/v1/ping", json={})
    problem(response, 405)
    assert "GET" in [m.strip() for m in response.headers["Allow"].split(",")]


def test_the_services_list_pages_by_cursor_and_refuses_bad_pages(gateway):
    names, cursor = [], None
    for _ in range(len(SERVICES)):
        page = gateway.get("/v1/services", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        names += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert names == sorted(SERVICES)

    assert list(problem(gateway.get("/v1/services?limit=101"), 400)["errors"]) == ["limit"]
    assert list(problem(gateway.get("/v1/services?cursor=not-ours"), 400)["errors"]) == ["cursor"]


def test_openapi_json_is_a_valid_openapi_3_1_document(gateway):
    response = gateway.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    document = response.json()
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert {"/v1/ping", "/v1/ping/{service}", "/v1/services"} <= set(document["paths"])


def test_docs_is_a_page_whose_every_file_comes_from_the_gateway(gateway):
    response = gateway.get("/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    urls = re.findall(r'(?:src|href|data-spec-url)="([^"]*)"', response.text)
    assert len(urls) >= 5
    for url in urls:
        assert url.startswith("/"), f"{url} is not served by the gateway"
        assert not url.startswith("//"), f"{url} is not served by the gateway"
        fetched = gateway.get(url)
        assert fetched.status_code == 200, url
        assert fetched.content
    bundle = gateway.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["Content-Type"].startswith("text/javascript")
    assert bundle.headers["Cache-Control"] == "public, max-age=86400"
    assert gateway.get("/docs/assets/swagger-ui.css").headers["Content-Type"].startswith("text/css")
    # Swagger UI 5 reads OpenAPI 3.1: the page renders the contract itself
    assert re.findall(r'data-spec-url="([^"]*)"', response.text) == ["/openapi.json"]


def test_docs_serves_no_other_file(gateway):
    for path in (
        "/docs/assets/index.html",
        "/docs/assets/swagger-initializer.js",
        "/docs/assets/swagger-ui-bundle.js.map",
        "/docs/assets/swagger-editor-bundle.js",
        "/docs/openapi-3.0.json",
        "/docs/assets/..%2F..%2F__init__.py",
        "/docs/assets/%2e%2e",
        "/docs/assets/../service.py",
    ):
        problem(gateway.get(path), 404)


def test_the_probes_and_metrics(gateway):
    assert gateway.get("/healthz").json() == {"status": "alive", "service": "gateway"}
    ready = gateway.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"rabbitmq": "ok", "postgresql": "ok"}}
    gateway.get("/v1/ping")
    metrics = gateway.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert 'ecommunity_http_responses_total{method="GET",route="/v1/ping",status="200"}' in metrics.text
