"""Rule-based sentence splitting for news text, with exact character offsets.

Offsets are Python ``str`` indices (Unicode code points), so ``text[span.start:span.end]``
is always ``span.text``. Nothing is normalised: emoji, combining marks and right-to-left
text pass through untouched, which is what keeps the offsets valid for annotation anchors.

The rules are hand-written rather than learned because they are fast (hundreds of
thousands of sentences a second) and because news prose has a small set of traps that
matter: abbreviations ("Sept. 12", "U.S.", "Mr. Zelenskyy"), decimals, ellipses, and
quotations followed by their attribution.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    text: str


# Any of these ends a paragraph, and a paragraph always ends a sentence.
_PARAGRAPH = re.compile(r"[^\n\r\u2028\u2029\x85\x0b\x0c]+")

# A candidate boundary: terminal punctuation, any closing quotes or brackets, then either
# whitespace or the end of the paragraph. CJK full stops need no following space.
_CANDIDATE = re.compile(
    r"""(?P<term>\.{3}|…|[.!?‼⁇؟۔]+)(?P<close>["'”’»)\]]*)(?=\s|$)|(?P<cjk>[。！？]+[」』”)]*)"""
)

_OPEN_QUOTE = "“«„"
_QUOTE = re.compile(r'["“”«»„]')
_CLOSE_QUOTE = "”»"

# Titles are always followed by a name, so a full stop after them never ends a sentence.
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "messrs",
        "mme",
        "dr",
        "prof",
        "sen",
        "sens",
        "rep",
        "reps",
        "gov",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "maj",
        "rev",
        "hon",
        "fr",
        "st",
        "mt",
        "ft",
        "pres",
        "supt",
        "det",
        "insp",
        "cpl",
        "pvt",
        "brig",
    ]
)
# These end a sentence only if a number does not follow ("Sept. 12", "No. 5", "p. 3").
_BEFORE_NUMBER = frozenset(
    [
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "no",
        "nos",
        "vol",
        "vols",
        "fig",
        "figs",
        "p",
        "pp",
        "art",
    ]
)
# These can end a sentence, but usually do not: split only before a typical sentence opener.
_AMBIGUOUS = frozenset(
    [
        "inc",
        "ltd",
        "co",
        "corp",
        "plc",
        "jr",
        "sr",
        "etc",
        "al",
        "bros",
        "approx",
        "est",
        "vs",
        "cf",
        "ca",
    ]
)
_INITIALISM = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$|^[A-Z]$")

_OPENERS = frozenset(
    [
        "The",
        "A",
        "An",
        "He",
        "She",
        "It",
        "They",
        "We",
        "I",
        "You",
        "But",
        "And",
        "Or",
        "So",
        "In",
        "On",
        "At",
        "This",
        "That",
        "These",
        "Those",
        "There",
        "His",
        "Her",
        "Their",
        "Its",
        "Our",
        "My",
        "If",
        "When",
        "While",
        "As",
        "After",
        "Before",
        "Yet",
        "However",
        "Meanwhile",
        "Also",
        "Still",
        "For",
        "Some",
        "Many",
        "Most",
        "What",
        "Why",
        "How",
        "Who",
        "Where",
        "Now",
        "Then",
        "Since",
        "Although",
        "Though",
        "Because",
        "Last",
        "Next",
        "Both",
        "Such",
        "Other",
        "Asked",
        "According",
        "Earlier",
        "Later",
        "Officials",
    ]
)

# Attribution after a closed quote ('"..." Zelensky said.') belongs to the quoted sentence.
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|told|tells|added|adds|asked|asks|wrote|writes|stated|states|warned|"
    r"warns|claimed|claims|noted|notes|explained|explains|insisted|insists|argued|argues|"
    r"according|replied|continued|posted|tweeted)\b"
)
_MAX_ATTRIBUTION_WORDS = 12
_PREV_TOKEN = re.compile(r"(\S+)$")
_NEXT_TOKEN = re.compile(r"\s*([^\s]+)")
_WORD_EDGE = "\"'“”‘’«»()[]"


def split_sentences(text: str) -> list[Span]:
    spans: list[Span] = []
    for para in _PARAGRAPH.finditer(text):
        start = para.start()
        for cut in _boundaries(para.group()):
            _append(spans, text, start, para.start() + cut)
            start = para.start() + cut
        _append(spans, text, start, para.end())
    return spans


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.lstrip()
    start += len(chunk) - len(stripped)
    stripped = stripped.rstrip()
    if stripped:
        spans.append(Span(start, start + len(stripped), stripped))


def _boundaries(para: str) -> list[int]:
    """Offsets inside ``para`` where a sentence ends (just after its closing punctuation)."""
    if not any(c in para for c in ".!?‼⁇؟۔。！？…"):
        return []
    quotes = _quote_intervals(para)
    cuts = []
    last = 0
    content_end = len(para.rstrip())
    for m in _CANDIDATE.finditer(para):
        end = m.end()
        if end >= content_end:
            break  # the paragraph end is a boundary anyway
        if m.group("cjk") or _is_boundary(para, m, quotes, last):
            cuts.append(end)
            last = end
    return cuts


def _is_boundary(para: str, m: re.Match[str], quotes: list[tuple[int, int]], last: int) -> bool:
    if _inside(quotes, m.end()):
        return False
    nxt = _NEXT_TOKEN.match(para, m.end())
    if nxt is None:
        return False
    next_word = nxt.group(1).strip(_WORD_EDGE)
    if not next_word or next_word[0].islower():
        return False  # '"...?" he asked', 'etc. and so on'
    term = m.group("term")
    if term in ("...", "…"):
        # "instead … America": an ellipsis set off by spaces is an elision, not an ending.
        return m.start() > 0 and not para[m.start() - 1].isspace()
    close = m.group("close")
    if any(q in close for q in '"”»') and _is_attribution(para, nxt.end()):
        return False
    if term == "." and not close:
        return not _is_abbreviation(para, m.start(), next_word, last)
    return True


def _is_abbreviation(para: str, dot: int, next_word: str, sentence_start: int) -> bool:
    prev = _PREV_TOKEN.search(para, sentence_start, dot)
    if prev is None:
        return False
    token = prev.group(1).lstrip(_WORD_EDGE)
    low = token.lower()
    if low in _TITLES:
        return True
    if low in _BEFORE_NUMBER:
        return next_word[0].isdigit()
    if low in _AMBIGUOUS or _INITIALISM.match(token):
        return next_word not in _OPENERS
    # "1. Ukraine ..." at the start of a sentence is an enumerator, not a sentence.
    return prev.start() == _skip_space(para, sentence_start) and token.isdigit() and len(token) < 3


def _skip_space(para: str, pos: int) -> int:
    while pos < len(para) and para[pos].isspace():
        pos += 1
    return pos


def _is_attribution(para: str, pos: int) -> bool:
    stop = _CANDIDATE.search(para, pos)
    clause = para[pos : stop.end() if stop else len(para)]
    words = clause.split()
    return len(words) < _MAX_ATTRIBUTION_WORDS and bool(_ATTRIBUTION.search(clause))


def _quote_intervals(para: str) -> list[tuple[int, int]]:
    """(open, close) offsets of balanced double quotations in a paragraph.

    Unbalanced quotes (a quotation running over several paragraphs, or a stray inch mark)
    yield no interval, so splitting falls back to the ordinary rules there.
    """
    intervals = []
    opened = -1
    straight = -1
    for q in _QUOTE.finditer(para):
        i, ch = q.start(), q.group()
        if ch in _OPEN_QUOTE:
            opened = i
        elif ch in _CLOSE_QUOTE and opened >= 0:
            intervals.append((opened, i))
            opened = -1
        elif ch == '"':
            if straight < 0:
                straight = i
            else:
                intervals.append((straight, i))
                straight = -1
    intervals.sort()
    return intervals


def _inside(intervals: list[tuple[int, int]], pos: int) -> bool:
    """True if ``pos`` lies strictly within a quotation (after its opening, before its close)."""
    i = bisect.bisect_left(intervals, (pos, pos)) - 1
    return i >= 0 and intervals[i][0] < pos <= intervals[i][1]
