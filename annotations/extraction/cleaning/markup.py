"""Markdown and HTML: markup removed, the story's paragraphs kept."""

from __future__ import annotations

import html as html_lib
import logging
import re

import nh3
import trafilatura

from annotations.extraction.cleaning.text import (
    _SPACES,
    CleanedArticle,
    CleaningError,
    _finish,
    _iso_date,
    _normalise,
    _tidy,
    _unix,
)

logger = logging.getLogger(__name__)


_FENCE = re.compile(r"^(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?$")
_SETEXT_H1 = re.compile(r"^=+$")
_RULE = re.compile(r"^(?:[-*_] ?){3,}$")
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_LINK_DEFINITION = re.compile(r"^\[[^\]]+\]:\s+\S+")
_INLINE = (
    (re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # inline links
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"`([^`]+)`"), r"\1"),  # inline code
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # emphasis
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),  # snake_case stays
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),  # strikethrough
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])"), r"\1"),  # backslash escapes
)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<!--")


def _markdown_inline(text: str) -> str:
    text = _AUTOLINK.sub(r"\1", text)  # before the HTML check: <https://...> is no tag
    if _HTML_TAG.search(text):
        # Raw HTML inside Markdown: keep its text, never its scripts.
        text = html_lib.unescape(nh3.clean(text, tags=set()))
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return _SPACES.sub(" ", text).strip()


def clean_markdown(md: str) -> CleanedArticle:
    """Markdown: the first ``#`` heading is the title, the rest loses its markup."""
    source = _unix(md).split("\n")
    lines = [_tidy(line) for line in source]
    title, paragraphs, block = "", [], []
    fence, code = "", []

    def flush() -> None:
        if block:
            paragraphs.append("\n".join(_markdown_inline(line) for line in block))
            block.clear()

    for i, line in enumerate(lines):
        if fence:
            if line.startswith(fence):
                paragraphs.append("\n".join(code).strip("\n"))
                fence, code = "", []
            else:
                code.append(source[i].rstrip())  # code keeps its indentation
            continue
        if match := _FENCE.match(line):
            flush()
            fence = match[1]
            continue
        heading = _ATX_HEADING.match(line)
        if not heading and line and i + 1 < len(lines) and _SETEXT_H1.match(lines[i + 1]):
            heading = _ATX_HEADING.match("# " + line)
        if heading:
            flush()
            text = _markdown_inline(heading[2])
            if not title and len(heading[1]) == 1:
                title = text
            else:
                paragraphs.append(text)
            continue
        if not line or _RULE.match(line) or _SETEXT_H1.match(line) or _LINK_DEFINITION.match(line):
            flush()
            continue
        line = re.sub(r"^(?:>\s?)+", "", line)  # block quotes read as paragraphs
        starts_item = bool(_LIST_ITEM.match(line))
        line = _LIST_ITEM.sub("", line)
        if block and not starts_item:
            block[-1] += " " + line  # a soft line break inside a paragraph
        else:
            block.append(line)
    flush()
    if code:  # an unclosed fence runs to the end, as in CommonMark
        paragraphs.append("\n".join(code).strip("\n"))
    return _finish([p for p in paragraphs if p.strip()], title=title)


# ---------------------------------------------------------------------------------------
# HTML

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "tr", "td", "th", "section", "article", "header", "footer", "main", "aside",
    "figcaption", "dd", "dt",
}  # fmt: skip
# Elements whose content is never prose; nh3 drops them whole instead of keeping their text.
_NOT_TEXT = {
    "script", "style", "title", "noscript", "template", "iframe", "object", "embed", "svg",
    "math", "textarea", "select", "button", "head", "nav", "form",
}  # fmt: skip
_BLOCK_BOUNDARY = re.compile(rf"</?(?:{'|'.join(sorted(_BLOCK_TAGS))})\b[^>]*>")
_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_LANG = re.compile(r"<html\b[^>]*?\blang=[\"']?([A-Za-z]{2,3})\b", re.IGNORECASE)


# html5ever (inside nh3) and lxml both slow down with the square of the nesting depth:
# 100,000 nested <div>s take half a minute each. Real pages nest a few dozen levels.
MAX_HTML_DEPTH = 5_000
_TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")
# Tags that are empty or close themselves: they never deepen the tree.
_FLAT_TAGS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td",
        "th", "thead", "tbody", "tfoot", "rb", "rt", "rp",
    }
)  # fmt: skip


def _check_depth(html: str) -> None:
    depth = 0
    for match in _TAG_TOKEN.finditer(html):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _FLAT_TAGS:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        if depth > MAX_HTML_DEPTH:
            raise CleaningError(
                f"the HTML is nested too deeply (more than {MAX_HTML_DEPTH:,} levels)"
            )


def _html_to_text(html: str) -> str:
    """Text of any HTML, through nh3: whatever nh3 lets through is inert markup."""
    safe = nh3.clean(
        html,
        tags=_BLOCK_TAGS,
        clean_content_tags=_NOT_TEXT,
        attributes={},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )
    # nh3's output is well-formed, so plain regexes are enough to flatten it.
    text = _TAG.sub("", _BLOCK_BOUNDARY.sub("\n", safe))
    return html_lib.unescape(text)


def _html_title(html: str) -> str:
    match = _TITLE.search(html[:200_000])
    return _tidy(_html_to_text(match[1]).replace("\n", " ")) if match else ""


def _paragraphs(text: str) -> list[str]:
    return [line for line in _normalise(text).split("\n") if line]


def clean_html(html: str, *, url: str = "") -> CleanedArticle:
    """A web page: trafilatura finds the article and its metadata; nh3 is the fallback."""
    source = _unix(html)
    _check_depth(source)
    document = None
    try:
        document = trafilatura.bare_extraction(
            source,
            url=url or None,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
        )
    except Exception:  # lxml and trafilatura raise many types on broken pages
        logger.warning("trafilatura failed on %s", url or "an HTML document", exc_info=True)
    lang = _LANG.search(source[:20_000])
    language = lang[1].lower() if lang else ""
    if document is not None and document.text and document.text.strip():
        title = _tidy(document.title or "")
        paragraphs = _paragraphs(document.text)
        if paragraphs and title and paragraphs[0] == title:
            paragraphs.pop(0)  # the headline is the title, not the first paragraph
        return _finish(
            paragraphs,
            title=title,
            outlet=_tidy(document.sitename or ""),
            author=_tidy((document.author or "").replace("; ", ", ")),
            published=_iso_date(document.date),
            language=(document.language or language or "")[:8],
        )
    return _finish(_paragraphs(_html_to_text(source)), title=_html_title(source), language=language)


# ---------------------------------------------------------------------------------------
# Bytes
