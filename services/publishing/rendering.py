"""Item bodies: Markdown (CommonMark) rendered to HTML on the server, then sanitized.

Two locks, so that a stored body can never carry script to a reader (stored XSS):

1. markdown-it renders CommonMark with raw HTML *off*: ``<script>`` typed in a body comes out as
   escaped text, not as a tag;
2. the HTML is then cleaned by ``nh3`` (ammonia) against an explicit allowlist of tags, attributes
   and URL schemes: whatever slips through the renderer (a ``javascript:`` link, a ``data:`` image,
   an event handler) is dropped. Links get ``rel="noopener noreferrer nofollow"``.

``body_html`` is computed once, when an item is saved, and served as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from kernel.errors import TooLarge

MAX_BODY = 100_000  # characters of Markdown (docs/publishing.md: 413 too-large beyond)

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

# CommonMark, raw HTML refused (escaped), bare URLs left as text; plus GFM tables and ~~strikethrough~~,
# the two extensions the allowlist has tags for (table..., del)
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def _render_deleted(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """``~~text~~`` as ``<del>`` (markdown-it writes ``<s>``, which the allowlist does not keep)."""
    return "<del>" if tokens[idx].nesting == 1 else "</del>"


_markdown.add_render_rule("s_open", _render_deleted)
_markdown.add_render_rule("s_close", _render_deleted)


def check_body(text: str) -> None:
    """Refuse a body longer than ``MAX_BODY`` characters (413 ``too-large``)."""
    if len(text) > MAX_BODY:
        raise TooLarge(f"The body is longer than {MAX_BODY} characters.", code="too-large", extra={"limit": MAX_BODY})


def render(markdown_text: str) -> str:
    """The sanitized HTML of a Markdown body (what is stored as ``body_html``)."""
    html = _markdown.render(markdown_text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
