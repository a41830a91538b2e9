"""What every cleaner shares: the result type, the error type, whitespace rules."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

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


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None
