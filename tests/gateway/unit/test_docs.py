"""/docs: a page whose every file comes from the gateway, and nothing else served from the bundle."""

import re

import pytest
from swagger_ui_bundle import swagger_ui_path

from gateway import docs
from kernel import errors


def page() -> str:
    return docs.docs_page("/openapi.json", "3.1.0")


def test_the_page_loads_only_files_of_the_gateway():
    urls = re.findall(r'(?:src|href|data-spec-url)="([^"]*)"', page())
    assert urls, "the page references its assets"
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
    assert "http" not in page().replace("http-equiv", "")


def test_every_file_the_page_references_is_served():
    for url in re.findall(r'(?:src|href)="(/docs/assets/[^"]*)"', page()):
        body, content_type = docs.asset(url.rsplit("/", 1)[1])
        assert body
        assert content_type


def test_the_initializer_calls_no_online_validator():
    script = docs.init_script()
    assert "validatorUrl: null" in script
    assert "http" not in script


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("favicon-32x32.png", "image/png"),
    ],
)
def test_an_asset_is_the_bundle_s_file_with_its_content_type(name, content_type):
    assert docs.asset(name) == (swagger_ui_path.joinpath(name).read_bytes(), content_type)


@pytest.mark.parametrize(
    "name",
    ["../__init__.py", "..", "/etc/passwd", "swagger-initializer.js", "index.html", "oauth2-redirect.html", "nope.js"],
)
def test_anything_else_is_not_found(name):
    with pytest.raises(errors.NotFound):
        docs.asset(name)


def test_the_policy_lets_the_browser_load_from_the_gateway_only():
    policy = docs.page_headers(docs.HTML)["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
