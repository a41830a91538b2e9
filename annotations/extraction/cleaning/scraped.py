"""Text as scraped from a news page: the story kept, the page furniture dropped."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from annotations.extraction.cleaning.text import (
    _BLANK_RUNS,
    CleanedArticle,
    _finish,
    _iso_date,
    _normalise,
)

logger = logging.getLogger(__name__)


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
