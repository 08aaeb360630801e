"""``/docs``: the API described for humans by Swagger UI, served entirely by the gateway.

The Swagger UI files come from the pinned ``swagger-ui-bundle`` package (``swagger_ui_path``), so
the page works with no internet access: no CDN, no online validator, and a Content-Security-Policy
that lets the browser load nothing from anywhere else.

- ``GET /docs`` — the page (``docs.html``), started by ``docs.js``;
- ``GET /docs/assets/<name>`` — one of the Swagger UI files in ``ASSETS``; any other name is a 404
  problem (the name is looked up in that fixed set, never joined to a path);
- ``GET /docs/openapi-3.0.json`` — what the page renders: swagger-ui-bundle 1.1.0 ships Swagger UI
  4.15.5, which refuses ``openapi: 3.1.x`` documents, so the page is given the same operations
  rendered as OpenAPI 3.0.3. ``/openapi.json`` (3.1.0) stays the contract.
"""

from __future__ import annotations

import functools
from importlib import resources
from string import Template

from swagger_ui_bundle import swagger_ui_path

from kernel import errors

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
INIT_PATH = "/docs/init.js"
RENDERED_SPEC_PATH = "/docs/openapi-3.0.json"
RENDERED_OPENAPI_VERSION = "3.0.3"

#: the Swagger UI files the page uses (and their source maps), with their content types
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui.css.map": "application/json",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-bundle.js.map": "application/json",
    "favicon-16x16.png": "image/png",
    "favicon-32x32.png": "image/png",
}
JAVASCRIPT = "text/javascript; charset=utf-8"
HTML = "text/html; charset=utf-8"

#: the browser may load scripts, styles, images and data from the gateway only
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    "script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; "  # Swagger UI (React) sets inline styles
    "img-src 'self' data:; "
    "connect-src 'self'; "
    "base-uri 'none'; "
    "form-action 'none'; "
    "frame-ancestors 'none'"
)
#: Swagger UI's files change only with the pinned package, so browsers may keep them a day
ASSET_CACHE_CONTROL = "public, max-age=86400"


def _own_file(name: str) -> str:
    return resources.files("gateway").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def docs_page(openapi_url: str, openapi_version: str) -> str:
    """The HTML of ``/docs``; it links ``openapi_url`` for readers without JavaScript."""
    return Template(_own_file("docs.html")).substitute(
        assets=ASSETS_PATH,
        init_url=INIT_PATH,
        spec_url=RENDERED_SPEC_PATH,
        openapi_url=openapi_url,
        openapi_version=openapi_version,
    )


@functools.cache
def init_script() -> str:
    """The script that starts Swagger UI on the page."""
    return _own_file("docs.js")


def asset(name: str) -> tuple[bytes, str]:
    """The bytes and content type of the Swagger UI file ``name``; ``errors.NotFound`` if it is not one."""
    content_type = ASSETS.get(name)
    if content_type is None:
        raise errors.NotFound(f"No documentation asset named {name!r}.")
    return swagger_ui_path.joinpath(name).read_bytes(), content_type


def page_headers(content_type: str) -> dict[str, str]:
    """Headers of the page and its script: the content type and the Content-Security-Policy."""
    return {
        "Content-Type": content_type,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
    }
