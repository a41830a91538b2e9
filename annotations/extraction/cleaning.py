"""Turn what people import (scraped text, HTML, Markdown, pasted text, raw bytes) into the
canonical text of an article: the one string every claim offset points into.

Canonical text is Unicode NFC, paragraphs joined by a blank line, runs of spaces collapsed,
nothing at either end. Punctuation, typographic quotes included, is never touched: the
text must read exactly as the outlet published it, so quotes found in it can be searched
for in the original.

Everything here is text in, dataclasses out; errors a user should read are ``CleaningError``.
"""

from __future__ import annotations

import codecs
import html as html_lib
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date

import nh3
import trafilatura

logger = logging.getLogger(__name__)

# Bigger than any article we have seen by two orders of magnitude; beyond it the input is
# a mistake (a database dump, a book) and the regexes below would only waste a worker.
MAX_INPUT_CHARS = 10_000_000


class CleaningError(ValueError):
    """An input we cannot turn into an article; ``str()`` is meant for the user."""


@dataclass
class CleanedArticle:
    text: str
    title: str = ""
    outlet: str = ""
    author: str = ""
    published: date | None = None
    language: str = ""


# ---------------------------------------------------------------------------------------
# Whitespace and Unicode

# Horizontal whitespace, no-break and typographic spaces included: scraped pages sprinkle
# no-break spaces next to ordinary ones ("insist \xa0that"), which must not survive as two.
_SPACES = re.compile(r"[ \t\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
# Invisible characters that only ever come from page furniture or editors, never prose.
# Control characters too: a stray one from a word processor would break offsets in browsers.
_INVISIBLE = re.compile(r"[\ufeff\u200b\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BLANK_RUNS = re.compile(r"\n{3,}")


def _unix(raw: str) -> str:
    """NFC, Unix newlines, no invisible characters; spaces untouched."""
    if len(raw) > MAX_INPUT_CHARS:
        raise CleaningError(
            f"the input is too large ({len(raw):,} characters; the limit is {MAX_INPUT_CHARS:,})"
        )
    text = unicodedata.normalize("NFC", raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _INVISIBLE.sub("", text)


def _tidy(line: str) -> str:
    return _SPACES.sub(" ", line).strip()


def _normalise(raw: str) -> str:
    """``_unix`` plus collapsed spaces and stripped lines."""
    return "\n".join(_tidy(line) for line in _unix(raw).split("\n"))


def _finish(paragraphs: list[str], **metadata) -> CleanedArticle:
    text = "\n\n".join(p for p in paragraphs if p)
    if not text.strip():
        raise CleaningError("the article has no text after cleaning")
    return CleanedArticle(text=text, **metadata)


# ---------------------------------------------------------------------------------------
# Scraped text: one paragraph a line, with the page furniture still in
#
# The scraper flattens a page to text: every block element becomes a line, and blank
# lines separate the article's paragraphs. What is not the story is recognisable by shape
# rather than by wording: story paragraphs are sentences (they end with terminal
# punctuation); headlines, section labels, captions and credits are not. Teasers of other
# articles are a headline glued to a blurb and a credit line with no blank line between
# them, which story paragraphs never are. Only a short list of furniture phrases is matched
# by wording, because "Comments" or "Skip to content" look like nothing else.

_DATE_LINE = re.compile(r"^date (\d{4}-\d{2}-\d{2})\b ?(.*)$")

_FURNITURE = frozenset(
    {
        "skip to content",
        "skip to main content",
        "gift a subscriptiongift",
        "gift a subscription",
        "subscribe",
        "subscribe now",
        "sign in",
        "log in",
        "advertisement",
        "this audio is created with ai assistance",
        "listen to this article",
        "share",
        "share this article",
        "copy link",
        "print",
        "follow us",
        "support independent journalism",
    }
)
# Once the story has begun, these end it: what follows is comments and other articles.
_FOOTER = frozenset(
    {
        "comments",
        "editors' picks",
        "related articles",
        "most read",
        "more from",
        "recommended for you",
        "you may also like",
    }
)
_AUTHORS_FOOTER = re.compile(r"^authors?: (.+)$", re.IGNORECASE)
_COUNTER = re.compile(r"^\d+ (?:min(?:ute)?s? read|comments?)$", re.IGNORECASE)

_MONTH = (
    r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
    r" (?P<day>\d{1,2}),? (?P<year>\d{4})"
)
_MONTH_DATE = re.compile(_MONTH, re.IGNORECASE)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# "by Abbey Fenbert and The Kyiv Independent news desk November 2, 2024 12:34 AM 2 min read"
_BYLINE = re.compile(
    r"^by (?P<names>.+?)(?: " + _MONTH + r")?(?: \d{1,2}:\d{2}(?: ?[ap]\.?m\.?)?)?"
    r"(?: \d+ min(?:ute)?s? read)?$",
    re.IGNORECASE,
)
# "Published - November 02, 2024 06:37 pm IST - KYIV"
_PUBLISHED = re.compile(r"^(?:published|updated)(?: on)? ?[-\u2013\u2014:] ?(.+)$", re.IGNORECASE)

_CAPTION = re.compile(
    r"\|\s*photo credit:"
    r"|^(?:illustrative purposes|photo|image|file photo|pictured|caption)\s*:"
    r"|\([^()]*(?:getty images|shutterstock|ap photo|photo:|photo by|/afp|/reuters"
    r"|/bloomberg|/ap\b)[^()]*\)\.?$",
    re.IGNORECASE,
)
# A bare wire-agency line is the byline of a wire story (or the credit of its photo,
# which is the same agency).
_AGENCIES = {
    "ap": "AP",
    "associated press": "AP",
    "the associated press": "AP",
    "reuters": "Reuters",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "pti": "PTI",
    "ani": "ANI",
    "ians": "IANS",
    "dpa": "dpa",
    "efe": "EFE",
}
# A teaser's credit: the outlet's name glued to the author's by the scraper,
# "The Kyiv IndependentMartin Fornusek".
_CREDIT = re.compile(
    r"^(?P<outlet>[A-Z]\S*(?: \S+)*?[a-z](?<!Mc)(?<!Mac))"
    r"(?P<author>[A-Z][a-z]\S*(?: [A-Z]\S*){0,3})$"
)
# "Jane Doe and The Kyiv Independent news desk": the desk names the outlet.
_DESK = re.compile(
    r"((?:The )?[A-Z][\w\u2019'.&-]*(?: [A-Z][\w\u2019'.&-]*)*) (?:news desk|newsroom|staff)\b"
)
# Terminal punctuation, then any closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019\u00bb)\]]*$")

# Pages that never name their outlet in the text are recognised by furniture only that site
# prints. A table, not logic: add a row when a new site turns up without its name.
OUTLET_SIGNATURES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^GIFT a SubscriptionGift$"), "The Hindu"),
    (re.compile(r"^Published - .* IST\b"), "The Hindu"),
)


def _key(line: str) -> str:
    return line.replace("\u2019", "'").rstrip(" .:").lower()


def _is_story(line: str) -> bool:
    return len(line.split()) >= 4 and bool(_SENTENCE_END.search(line))


def _is_tag_list(line: str) -> bool:
    parts = line.split(", ")
    return (
        len(parts) >= 4
        and not _SENTENCE_END.search(line)
        and all(0 < len(p.split()) <= 4 and p[:1].isupper() for p in parts)
    )


def _is_credit(line: str) -> bool:
    return len(line.split()) <= 8 and bool(_CREDIT.match(line))


def _split_credit(line: str) -> tuple[str, str]:
    match = _CREDIT.match(line)
    return (match["outlet"], match["author"]) if match else ("", "")


def _parse_month_date(text: str) -> date | None:
    match = _MONTH_DATE.search(text)
    if not match:
        return None
    try:
        month = _MONTHS.index(match["month"].lower()[:3]) + 1
        return date(int(match["year"]), month, int(match["day"]))
    except ValueError:
        return None


def _names(names: str) -> str:
    return ", ".join(n.strip() for n in re.split(r",? and |, ", names) if n.strip())


@dataclass
class _Found:
    """Metadata picked up while reading the page, strongest source first."""

    title: str = ""
    byline: str = ""
    footer_authors: str = ""
    agency: str = ""
    published: date | None = None
    page_date: date | None = None
    credit_outlets: tuple[str, ...] = ()
    signature_outlet: str = ""

    def outlet(self) -> str:
        for names in (self.byline, self.footer_authors):
            if desk := _DESK.search(names):
                return desk[1]
        if self.signature_outlet:
            return self.signature_outlet
        # Teasers on a page are the site's own articles, so their credits name the outlet.
        if self.credit_outlets:
            return Counter(self.credit_outlets).most_common(1)[0][0]
        return ""

    def author(self) -> str:
        return self.byline or self.footer_authors or self.agency


_NAME_WORD = r"(?:[A-Z][\w'.\u2019-]*,?|and|de|van|von|der|da|al|bin)"
_NAMES = re.compile(rf"{_NAME_WORD}(?: {_NAME_WORD})*")


def _note_metadata(line: str, found: _Found) -> str:
    """Record what a furniture or metadata line tells us; return its kind, or ''."""
    for pattern, outlet in OUTLET_SIGNATURES:
        if not found.signature_outlet and pattern.search(line):
            found.signature_outlet = outlet
    key = _key(line)
    if key in _FURNITURE or _COUNTER.match(line):
        return "furniture"
    if key in _FOOTER:
        return "footer"
    if match := _AUTHORS_FOOTER.match(line):
        found.footer_authors = found.footer_authors or _names(match[1])
        return "footer"
    # "By contrast, the army held." is a sentence: a byline without a date is names only.
    if (match := _BYLINE.match(line)) and (match["month"] or _NAMES.fullmatch(match["names"])):
        found.byline = found.byline or _names(match["names"])
        found.page_date = found.page_date or _parse_month_date(line)
        return "byline"
    if (match := _PUBLISHED.match(line)) and (day := _parse_month_date(match[1])):
        found.page_date = found.page_date or day
        return "published"
    if _CAPTION.search(line):
        return "caption"
    if key in _AGENCIES:
        found.agency = found.agency or _AGENCIES[key]
        return "agency"
    if _is_tag_list(line):
        return "tags"
    return ""


def _classify(line: str, found: _Found, *, in_header: bool) -> str:
    """The kind of one line: "story" for a paragraph of the article, else what it is."""
    if kind := _note_metadata(line, found):
        return kind
    title_pending = in_header and not found.title
    # Before the title, a camel-cased headline ("TikTok Bans ...") is not a credit.
    if not title_pending and _is_credit(line):
        found.credit_outlets += (_split_credit(line)[0],)
        return "credit"
    # A question or exclamation on top of the page is its headline, not a paragraph.
    if _is_story(line) and not (title_pending and line[-1] in "?!"):
        return "story"
    if title_pending and len(line.split()) <= 25:
        found.title = line
        return "title"
    # A section label, a teaser headline, a caption without credit or a standfirst.
    return "other"


def _is_teaser_block(block: list[str], found: _Found, *, in_story: bool) -> bool:
    """Lines glued together with no blank line between are never story paragraphs in this
    form: a headline followed by a blurb (and often an "OutletAuthor" credit) is another
    article's teaser. Before the story only a credit line proves it, since the header
    glues tags to the title; and a photo credit glued to its caption is no teaser."""
    if len(block) < 2:
        return False
    if any(_is_credit(line) for line in block[1:]):
        return True
    return in_story and not _is_story(block[0]) and not _note_metadata(block[0], found)


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks, current = [], []
    for line in [*lines, ""]:
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    return blocks


def _read_story(lines: list[str], found: _Found) -> list[str]:
    paragraphs: list[str] = []
    for block in _blocks(lines):
        if _is_teaser_block(block, found, in_story=bool(paragraphs)):
            for line in block:  # a teaser's credit still names the site's outlet
                if _is_credit(line):
                    found.credit_outlets += (_split_credit(line)[0],)
            continue
        for line in block:
            kind = _classify(line, found, in_header=not paragraphs)
            if kind == "story":
                paragraphs.append(line)
            elif kind == "footer" and paragraphs:
                return paragraphs
    return paragraphs


def _near_duplicate(a: str, b: str) -> bool:
    words_a, words_b = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return len(words_a & words_b) >= 0.7 * len(words_a | words_b)


def clean_scraped_text(raw: str) -> CleanedArticle:
    """Clean text scraped from a news page (see the demo corpus for the form)."""
    lines = _normalise(raw).split("\n")
    found = _Found()
    for i, line in enumerate(lines):
        if not line:
            continue
        if match := _DATE_LINE.match(line):
            found.published = _iso_date(match[1])
            lines[i] = match[2]
        break
    paragraphs = _read_story(lines, found)
    # Standfirsts. The summary under a headline is kept only when it reads as a paragraph
    # and says something the lede does not. The Hindu's ("Ukraine's President ... has urged
    # its allies to stop "watching" ...") is the lede without its full stop: it is not
    # a sentence, so it never becomes a paragraph. Keeping it would make the extractor
    # propose every lede claim twice and give one quote two places to anchor; the original
    # input is stored as received, so nothing is lost. A standfirst that does end with a
    # full stop but restates the next paragraph goes for the same reason.
    if len(paragraphs) >= 2 and _near_duplicate(paragraphs[0], paragraphs[1]):
        paragraphs.pop(0)
    return _finish(
        paragraphs,
        title=found.title,
        outlet=found.outlet(),
        author=found.author(),
        published=found.published or found.page_date,
    )


def looks_scraped(text: str) -> bool:
    """Whether pasted text still carries the furniture of the page it was copied from."""
    lines = [line for line in _normalise(text[:200_000]).split("\n") if line]
    if lines and _DATE_LINE.match(lines[0]):
        return True
    found = _Found()
    furniture = {"furniture", "footer", "byline", "published", "caption"}
    return any(_note_metadata(line, found) in furniture for line in lines)


# ---------------------------------------------------------------------------------------
# Plain text and Markdown


def clean_plain_text(text: str) -> CleanedArticle:
    """Pasted text: scraped pages get the full treatment, anything else is only tidied."""
    if looks_scraped(text):
        return clean_scraped_text(text)
    tidy = _BLANK_RUNS.sub("\n\n", _normalise(text)).strip()
    return _finish([tidy])


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


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


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

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(
    rb"""<meta[^>]+charset=["']?([\w.:-]+)|<\?xml[^>]+encoding=["']([\w.:-]+)""", re.IGNORECASE
)
_HIGH_RUN = re.compile(rb"[\x80-\xff]{3,}")


def _looks_cp1252(data: bytes) -> bool:
    """Whether undecodable bytes are clearly Western European text from Windows.

    Such text is mostly ASCII with the odd accented letter, curly quote or dash, each one
    byte on its own. So: every byte must be defined in cp1252 (0x81, 0x8D, 0x8F, 0x90 and
    0x9D are not), at most three bytes in ten are non-ASCII, and no three non-ASCII bytes come
    in a row. Other 8-bit encodings (Cyrillic, Greek) and East Asian ones make whole words
    of high bytes and fail the last test; so does UTF-8 damaged in transit.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    high = sum(1 for c in text if ord(c) > 127)
    return high <= len(text) * 0.3 and not _HIGH_RUN.search(data)


def _refuse_binary(text: str) -> str:
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    if "\x00" in text or controls > len(text) / 50:
        raise CleaningError("file looks binary")
    return text


def decode_bytes(data: bytes) -> str:
    """Bytes of an uploaded or fetched text file as ``str``; refuses binary files."""
    if not data.strip():
        raise CleaningError("the file is empty")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _refuse_binary(data.decode(codec))
            except UnicodeDecodeError:
                name = codec.removesuffix("-sig").upper()
                raise CleaningError(f"not valid {name} despite its byte-order mark") from None
    if b"\x00" in data:
        raise CleaningError("file looks binary")
    try:
        return _refuse_binary(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if declared := _DECLARED.search(data[:4096]):
        encoding = (declared[1] or declared[2]).decode("ascii")
        try:
            codecs.lookup(encoding)
            return _refuse_binary(data.decode(encoding))
        except (LookupError, UnicodeDecodeError):
            raise CleaningError(f"not valid UTF-8 nor the declared {encoding}") from None
    if _looks_cp1252(data):
        return _refuse_binary(data.decode("cp1252"))
    raise CleaningError("not valid UTF-8 and no declared encoding")
