"""/docs: a page whose every file comes from the gateway, and nothing else served from swagger-ui-py."""

import re

import pytest

from gateway import docs
from gateway.openapi import OPENAPI_VERSION
from kernel import errors


def page() -> str:
    return docs.docs_page("/openapi.json", OPENAPI_VERSION)


def test_the_page_loads_only_files_of_the_gateway():
    urls = re.findall(r'(?:src|href|data-spec-url)="([^"]*)"', page())
    assert urls, "the page references its assets"
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
    assert "http" not in page().replace("http-equiv", "")


def test_the_page_renders_the_openapi_3_1_document_itself():
    assert re.findall(r'data-spec-url="([^"]*)"', page()) == ["/openapi.json"]
    assert "openapi-3.0" not in page()


def test_every_file_the_page_references_is_served():
    urls = re.findall(r'(?:src|href)="(/docs/assets/[^"]*)"', page())
    assert {url.rsplit("/", 1)[1] for url in urls} == set(docs.ASSETS)
    for url in urls:
        body, content_type = docs.asset(url.rsplit("/", 1)[1])
        assert body
        assert content_type


def test_the_initializer_calls_no_online_validator():
    script = docs.init_script()
    assert "validatorUrl: null" in script
    assert "http" not in script


def test_the_assets_are_swagger_ui_5_from_swagger_ui_py():
    assert docs.swagger_ui_static().parts[-2:] == ("swagger_ui", "static")
    bundle, _ = docs.asset("swagger-ui-bundle.js")
    assert re.search(rb'"5\.\d+\.\d+"', bundle), "Swagger UI 5 reads OpenAPI 3.1"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("index.css", "text/css; charset=utf-8"),
        ("favicon-32x32.png", "image/png"),
        ("favicon-16x16.png", "image/png"),
    ],
)
def test_an_asset_is_the_package_s_file_with_its_content_type(name, content_type):
    assert docs.asset(name) == (docs.swagger_ui_static().joinpath(name).read_bytes(), content_type)


@pytest.mark.parametrize(
    "name",
    [
        "../__init__.py",
        "..",
        "/etc/passwd",
        "../core.py",
        "swagger-initializer.js",
        "index.html",
        "oauth2-redirect.html",
        "LICENSE",
        "swagger-ui.css.map",
        "swagger-ui-bundle.js.map",
        "swagger-ui.js",
        "swagger-ui-es-bundle.js",
        "swagger-editor-bundle.js",
        "swagger-editor-es-bundle.js.map",
        "swagger-editor.css",
        "nope.js",
    ],
)
def test_anything_else_is_not_found(name):
    with pytest.raises(errors.NotFound):
        docs.asset(name)


def test_no_source_map_nor_swagger_editor_file_is_on_the_list():
    for name in docs.ASSETS:
        assert not name.endswith(".map"), name
        assert "editor" not in name, name
        assert (docs.swagger_ui_static() / name).is_file(), name


def test_the_policy_lets_the_browser_load_from_the_gateway_only():
    policy = docs.page_headers(docs.HTML)["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
