"""Bodies: CommonMark rendered to HTML, then sanitized; nothing that runs script survives, whether
typed as raw HTML, hidden in a Markdown link or image, or encoded as entities."""

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from kernel import errors
from services.publishing.rendering import MAX_BODY, check_body, render

REL = 'rel="noopener noreferrer nofollow"'


def _tags(html: str) -> set[str]:
    """The names of the real tags in the HTML (escaped markup is text: ``&lt;script&gt;``)."""
    return {name.lower() for name in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", html)}


# -- what must not survive ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "Hello <script>alert(1)</script> world",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        '<a href="https://example.org" onclick="alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<svg onload="alert(1)"></svg>',
        "<div>\n<script>alert(1)</script>\n</div>",
        "<!-- <script>alert(1)</script> -->",
    ],
)
def test_raw_html_is_escaped_never_passed(body):
    html = render(body)
    assert _tags(html) <= {"p"}, html
    assert _attributes(html) == []


SAFE_SCHEMES = {"http", "https", "mailto"}


class _Attributes(HTMLParser):
    """Collects the attributes of the real tags (not of markup escaped as text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend((name, value or "") for name, value in attrs)


def _attributes(html: str) -> list[tuple[str, str]]:
    parser = _Attributes()
    parser.feed(html)
    parser.close()
    return parser.found


def _urls(html: str) -> list[str]:
    """Every URL a browser would follow or load from the HTML (``href`` and ``src`` values)."""
    return [value for name, value in _attributes(html) if name in {"href", "src"}]


def _runs_nothing(html: str) -> bool:
    """Each URL in the HTML is http(s), mailto or relative (no scheme a browser would execute)."""
    return all(urlsplit(unescape(url)).scheme in SAFE_SCHEMES | {""} for url in _urls(html))


@pytest.mark.parametrize(
    "body",
    [
        "[click](javascript:alert(1))",
        "[click](JavaScript:alert(1))",
        "[click](javascript&#58;alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](file:///etc/passwd)",
        "<javascript:alert(1)>",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
        "![x](javascript:alert(1))",
        "![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+)",
    ],
)
def test_a_link_or_image_to_a_script_url_stays_text(body):
    html = render(body)
    assert _tags(html) == {"p"}, html
    assert _urls(html) == []
    assert _runs_nothing(html)


def test_a_data_image_loses_its_source():
    html = render("![pixel](data:image/png;base64,iVBORw0KGgo=)")
    assert html == '<p><img alt="pixel"></p>\n'


def test_a_scheme_broken_by_an_encoded_newline_is_only_a_relative_link():
    html = render("[click](java%0ascript:alert(1))")
    assert _urls(html) == ["java%0ascript:alert(1)"]
    assert _runs_nothing(html)


def test_a_script_url_written_as_raw_html_is_escaped():
    html = render('<a href="javascript:alert(1)">x</a> <img src="javascript:alert(1)">')
    assert _tags(html) == {"p"}
    assert _urls(html) == []


def test_html_entities_stay_text():
    html = render("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#60;img src=x onerror=alert(1)&#62;")
    assert _tags(html) == {"p"}
    assert "&lt;script&gt;" in html
    assert "&lt;img" in html


def test_nested_markdown_cannot_smuggle_html():
    body = (
        "> - **[x](javascript:alert(1))** _<img src=x onerror=alert(1)>_\n"
        ">   > `<script>`\n"
        ">   > <script>alert(2)</script>"
    )
    html = render(body)
    assert _tags(html) <= {"blockquote", "ul", "li", "strong", "em", "code", "p"}
    assert _attributes(html) == []
    assert "<em>&lt;img src=x onerror=alert(1)&gt;</em>" in html  # only as text
    assert "<script" not in html
    assert "<a " not in html
    assert _runs_nothing(html)


def test_a_link_title_cannot_break_out_of_its_attribute():
    html = render('[x](https://example.org "a\\" onmouseover=\\"alert(1)")')
    assert _tags(html) == {"p", "a"}
    assert _attributes(html) == [
        ("href", "https://example.org"),
        ("title", 'a" onmouseover="alert(1)'),
        ("rel", "noopener noreferrer nofollow"),
    ]


def test_code_blocks_keep_markup_as_text():
    html = render("```html\n<script>alert(1)</script>\n```")
    assert html == "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>\n"


# -- what Markdown is for ----------------------------------------------------------------------------


def test_headings_paragraphs_and_emphasis():
    assert render("# Title\n\nSome **bold**, *em* and `code`.") == (
        "<h1>Title</h1>\n<p>Some <strong>bold</strong>, <em>em</em> and <code>code</code>.</p>\n"
    )


def test_links_are_kept_with_a_safe_rel():
    html = render('[site](https://example.org/a?b=c "The site") and [mail](mailto:team@example.org)')
    assert f'<a href="https://example.org/a?b=c" title="The site" {REL}>site</a>' in html
    assert f'<a href="mailto:team@example.org" {REL}>mail</a>' in html
    assert _runs_nothing(html)


def test_bare_urls_are_not_linked():
    assert render("see https://example.org") == "<p>see https://example.org</p>\n"


def test_images_are_kept():
    html = render('![A cat](https://img.example.org/cat.png "Cat")')
    assert html == '<p><img src="https://img.example.org/cat.png" alt="A cat" title="Cat"></p>\n'


def test_lists_quotes_rules_and_line_breaks():
    html = render("- one\n- two\n\n1. first\n\n> quoted\n\n---\n\nline  \nbreak")
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n</ol>" in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    assert "<hr>" in html
    assert "<p>line<br>\nbreak</p>" in html


def test_tables_and_strikethrough():
    html = render("| a | b |\n|---|---|\n| 1 | ~~2~~ |")
    assert _tags(html) == {"table", "thead", "tbody", "tr", "th", "td", "del"}
    assert "<td><del>2</del></td>" in html


def test_unicode_passes_through():
    assert render("Été — 日本語 😀") == "<p>Été — 日本語 😀</p>\n"


def test_an_empty_body_renders_to_nothing():
    assert render("") == ""


# -- size ---------------------------------------------------------------------------------------------


def test_a_body_up_to_the_limit_is_accepted():
    check_body("x" * MAX_BODY)
    check_body("")


def test_a_longer_body_is_too_large():
    with pytest.raises(errors.TooLarge) as caught:
        check_body("é" * (MAX_BODY + 1))
    assert caught.value.code == "too-large"
    assert caught.value.extra["limit"] == MAX_BODY == 100_000


# -- the second lock: the sanitizer alone ---------------------------------------------------------------


def test_the_sanitizer_cleans_whatever_the_renderer_would_let_through(monkeypatch):
    """If a renderer change ever passed HTML through, the allowlist still strips what runs script."""
    from services.publishing import rendering

    dangerous = (
        '<p onclick="alert(1)" style="color:red" class="x">text</p>'
        "<script>alert(1)</script><iframe src=https://evil.example></iframe>"
        '<a href="javascript:alert(1)">a</a><a href="https://ok.example" target="_blank">b</a>'
        '<img src="x" onerror="alert(1)"><img src="data:image/png;base64,AA">'
        "<form action=https://evil.example><input name=password></form>"
    )
    monkeypatch.setattr(rendering._markdown, "render", lambda text: dangerous)
    html = render("anything")
    assert _tags(html) == {"p", "a", "img"}
    assert "alert" not in html
    assert _attributes(html) == [
        ("rel", "noopener noreferrer nofollow"),
        ("href", "https://ok.example"),
        ("rel", "noopener noreferrer nofollow"),
        ("src", "x"),
    ]
