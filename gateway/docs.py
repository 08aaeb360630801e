"""``/docs``: the API described for humans by Swagger UI, served entirely by the gateway.

The Swagger UI files come from the pinned ``swagger-ui-py`` package (its ``swagger_ui/static``
folder, which bundles Swagger UI 5), so the page works with no internet access: no CDN, no online
validator, and a Content-Security-Policy that lets the browser load nothing from anywhere else.
Swagger UI 5 reads OpenAPI 3.1, so the page renders the contract itself, ``/openapi.json``.

- ``GET /docs`` — the page (``docs.html``), started by ``docs.js``;
- ``GET /docs/assets/<name>`` — one of the Swagger UI files in ``ASSETS``; any other name is a 404
  problem (the name is looked up in that fixed set, never joined to a path). The package's source
  maps, Swagger Editor and its own HTML and initializer are never served.
"""

from __future__ import annotations

import functools
from importlib import resources, util
from pathlib import Path
from string import Template

from kernel import errors

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
INIT_PATH = "/docs/init.js"
#: the package (of the ``swagger-ui-py`` distribution) whose ``static`` folder holds Swagger UI's files
SWAGGER_UI_PACKAGE = "swagger_ui"

#: the Swagger UI files the page uses, with their content types
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "index.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
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
def swagger_ui_static() -> Path:
    """The installed ``swagger_ui/static`` folder, found without importing the package.

    ``swagger_ui``'s ``__init__`` loads its web-framework handlers (and Jinja2, PyYAML); the
    gateway needs none of them, only the files.
    """
    spec = util.find_spec(SWAGGER_UI_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{SWAGGER_UI_PACKAGE} is not installed (it comes with swagger-ui-py)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@functools.cache
def docs_page(openapi_url: str, openapi_version: str) -> str:
    """The HTML of ``/docs``: Swagger UI rendering ``openapi_url``, also linked for readers without JavaScript."""
    return Template(_own_file("docs.html")).substitute(
        assets=ASSETS_PATH,
        init_url=INIT_PATH,
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
    return swagger_ui_static().joinpath(name).read_bytes(), content_type


def page_headers(content_type: str) -> dict[str, str]:
    """Headers of the page and its script: the content type and the Content-Security-Policy."""
    return {
        "Content-Type": content_type,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
    }
