"""The same claim in two texts: normalise, compare, and spot contradictory numbers.

Text in, a score out; no database. Two sentences are compared on what a reader would
recognise as "the same claim": the content words they share (stemmed, so "troops" meets
"troop"), the word pairs they share (so "America is watching, Britain is watching"
counts for more than its words one by one), the names they share, and the figures they
give. A figure given for the same thing ("8,000 troops" against "10,000 troops") with a
different value is a possible contradiction: the pair is proposed with stance *disputes*.

Weights and thresholds were chosen on the two real articles in ``shared/corpus`` and the
demo set, every cross-article pair labelled by hand (the expected pairs are in
``tests/services/test_matching.py``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from .analysis import find_claimant, named_entities

# A pair scoring at or above this is proposed as a match. Measured on every cross-article
# pair of the corpus (141 pairs with a claim on one side) and the demo (232), labelled by
# hand: the best unrelated pair scores 0.225 on the corpus and 0.383 on the demo (two
# sentences naming the same warehouse fire), the corpus's three pairs that must be found
# 0.39 to 0.48, the demo's agreeing facts 0.40 to 0.93. Above every unrelated pair: some
# paraphrases (0.28 to 0.34 on the corpus) are missed rather than noise proposed.
MATCH_THRESHOLD = 0.39
# Two sentences that give different figures for the same thing share fewer words than
# two that agree (the demo's "evacuated 1,200 residents" against "4,000 residents were
# ordered out" scores 0.21 to 0.29); this lower bar applies only to such a conflict, and
# only between articles that already share an agreeing match (the same story).
CONFLICT_THRESHOLD = 0.2
# Cheap filter before scoring: a true pair shares at least this many content words.
MIN_SHARED_TOKENS = 3
# Added when both sentences give a figure for the same counted thing.
QUANTITY_BONUS = 0.15
# How much the words naming the speaker count, against 1 for the others.
SPEAKER_WEIGHT = 0.25
# Applied when one sentence gives a figure for something the other names without one.
MISSING_FIGURE_FACTOR = 0.7
# A word never seen in the texts being compared: as rare as a word can be.
_UNSEEN = 3.0
# Counted things too vague to say two figures are about the same fact.
_GENERIC_UNITS_TEXT = """
people person time year month week day hour minute percent times
"""

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W\d_]+)?")
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s*(?P<scale>hundred|thousand|million|billion|trillion|bn|m)\b)?"
    r"(?P<pct>\s*(?:%|percent\b|per cent\b))?",
    re.I,
)
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
}
_SCALES = {
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
}
_MONTHS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
# After a number these make it a date or a time, not a quantity.
_TIME_AFTER = re.compile(r"\s*(?:a\.?m\b|p\.?m\b|o'clock|:\d)", re.I)
_ORDINAL_AFTER = re.compile(r"(?:st|nd|rd|th)\b", re.I)
# Words too common in news to say anything about which claim a sentence makes.
_STOPWORDS_TEXT = """
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few
for from further had has have having he her here hers him his how i if in into is it its
itself just me more most my no nor not now of off on once only or other our out over own
same she should so some such than that the their them then there these they this those
through to too under until up very was we were what when where which while who whom why
will with would you your said says say told tell according mr mrs ms dr just per cent
percent around about nearly almost some roughly approximately least most one another
since ago yet however instead even still
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("ly", ""), ("s", ""))


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float
    context: frozenset[str]  # the content words right after the figure: what it counts
    text: str  # the figure as written, for the explanation


@dataclass(frozen=True, slots=True)
class Features:
    """What the comparison needs from one text, computed once per text."""

    tokens: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    entities: frozenset[str]
    quantities: tuple[Quantity, ...]
    speaker: frozenset[str]  # who the sentence is attributed to


@dataclass(frozen=True, slots=True)
class Match:
    score: float
    stance: str  # "supports" or "disputes", the values of models.Stance
    number_conflict: bool
    explanation: str


def normalise(text: str) -> str:
    """Compatibility-normalised, lower-case, straight quotes, one space between words."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return " ".join(text.split())


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A deliberately small stemmer: plurals and -ing/-ed, then doubled letters collapsed
    so that spelling variants meet ("Zelenskyy"/"Zelensky", "travelled"/"traveled")."""
    word = word.removesuffix("'s").replace("'", "")
    if any(ch.isdigit() for ch in word):
        return word  # figures are compared as written: "8000" must not become "80"
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            if suffix == "ly" and len(word) < 8:
                continue  # "only", "early", "family"
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]  # "missile"/"missil(es)", "home"/"hom(es)"
    return re.sub(r"(.)\1+", r"\1", word)


GENERIC_UNITS = frozenset(stem(word) for word in _GENERIC_UNITS_TEXT.split())


def content_tokens(text: str) -> list[str]:
    """Stemmed content words in text order; figures become plain digits ("8,000" -> "8000")."""
    text = _NUMBER.sub(lambda m: " " + _figure_token(m) + " ", normalise(text))
    out = []
    for word in _WORD.findall(text):
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        out.append(stem(word))
    return out


def _figure_token(m: re.Match[str]) -> str:
    return _fmt(_figure_value(m))


def _figure_value(m: re.Match[str]) -> float:
    value = float(m.group("num").replace(",", "") + (m.group("frac") or ""))
    scale = (m.group("scale") or "").lower()
    return value * _SCALES.get(scale, 1)


def quantities(text: str) -> tuple[Quantity, ...]:
    """Figures that count something, with the words saying what; dates, times, years,
    ordinals and bare numbers with nothing counted after them are left out."""
    norm = normalise(text)
    found = []
    for m in _NUMBER.finditer(norm):
        if _is_date_or_time(norm, m):
            continue
        unit = "percent" if m.group("pct") else ""
        found.append((_figure_value(m), m.end(), m.group().strip(), unit))
    for m in re.finditer(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", norm):
        if m.group(1) == "hundred" and re.search(r"\d\s*$", norm[: m.start()]):
            continue  # "2 hundred" is already a figure
        found.append((float(_NUMBER_WORDS[m.group(1)]), m.end(), m.group(1), ""))
    out = []
    for value, end, written, unit in found:
        context = _context_after(norm[end:])
        if unit:
            context = context | {unit}
        if context:
            out.append(Quantity(value, context, written))
    return tuple(out)


def _is_date_or_time(text: str, m: re.Match[str]) -> bool:
    raw = m.group("num")
    after = text[m.end() :]
    if _TIME_AFTER.match(after) or _ORDINAL_AFTER.match(after):
        return True
    if len(raw) == 4 and not m.group("scale") and 1900 <= int(raw) <= 2099:
        return True  # a year; "2,024 troops" keeps its comma and is not one
    before = text[max(0, m.start() - 12) : m.start()]
    word_before = before.rstrip(" .").rsplit(" ", 1)[-1]
    word_after = after.lstrip().split(" ", 1)[0] if after.strip() else ""
    return word_before[:3] in _MONTHS or word_after[:3] in _MONTHS


def _context_after(rest: str, words: int = 3) -> frozenset[str]:
    """Up to ``words`` content words after a figure, stopping at a clause break."""
    clause = re.split(r"[,;:.!?()\"]", rest, maxsplit=1)[0]
    tokens = []
    for word in _WORD.findall(clause):
        if word == "of" and tokens:
            continue  # "40 tonnes of lithium-ion batteries": the batteries are counted too
        if word in STOPWORDS or word.isdigit() or word in _NUMBER_WORDS:
            if tokens:
                break  # "8,000 troops in Kursk": the counted thing ends at "in"
            continue
        tokens.append(stem(word))
        if len(tokens) == words:
            break
    return frozenset(tokens)


def features(text: str) -> Features:
    tokens = content_tokens(text)
    names = [
        frozenset(stem(w) for w in _WORD.findall(entity.lower()) if w not in STOPWORDS)
        for entity in named_entities(unicodedata.normalize("NFKC", text).translate(_QUOTES))
    ]
    claimant = frozenset(content_tokens(find_claimant([text], 0)))
    # The speaker with the title the claimant finder leaves out: "Mayor Elena Ruiz".
    speaker = claimant.union(*(name for name in names if name & claimant))
    return Features(
        tokens=frozenset(tokens),
        bigrams=frozenset(pairwise(tokens)),
        entities=frozenset().union(*names),
        quantities=quantities(text),
        speaker=speaker,
    )


def idf_weights(texts: Sequence[Features]) -> dict[str, float]:
    """How much sharing each word says, from how few of ``texts`` use it.

    Two reports of one story share its vocabulary ("North Korean troops" is in every
    sentence of both): what tells one claim from another is the rarer words. The
    weights are computed on the two articles being compared, so a pair scores the
    same whichever of its articles is matched first.
    """
    df = Counter(token for f in texts for token in f.tokens)
    n = len(texts) + 1
    return {token: math.log(n / (count + 0.5)) for token, count in df.items()}


def compare(a: Features, b: Features, weights: dict[str, float] | None = None) -> Match:
    """How likely ``a`` and ``b`` make the same claim, and whether their figures clash.

    Without ``weights`` every word counts the same; ``idf_weights`` of the texts being
    compared is what the matcher uses.
    """
    speakers = a.speaker | b.speaker
    lookup = weights.get if weights else (lambda t, default: 1.0)

    def weight(token: str) -> float:
        # Who said it matters less than what was said: two claims by the same person
        # are not the same claim.
        if token in speakers:
            return lookup(token, _UNSEEN) * SPEAKER_WEIGHT
        return lookup(token, _UNSEEN)

    conflicts, agreements = _compare_quantities(a, b)
    # Differing figures must not count against the pair: compare the words without them.
    numbers = {_fmt(q.value) for q in a.quantities + b.quantities}
    ta, tb = a.tokens - numbers, b.tokens - numbers
    shared = ta & tb
    wa, wb, ws = (sum(map(weight, t)) for t in (ta, tb, shared))
    words = ws / min(wa, wb) if wa and wb else 0.0
    dice = 2 * ws / (wa + wb) if wa and wb else 0.0
    pairs = _weighted_overlap(a.bigrams, b.bigrams, lambda g: (weight(g[0]) + weight(g[1])) / 2)
    names = _weighted_overlap(a.entities, b.entities, weight)
    score = 0.40 * words + 0.25 * pairs + 0.20 * dice + 0.15 * names
    if agreements or conflicts:
        # A figure given for the same counted thing, equal or not, says the two
        # sentences are about the same fact.
        score += QUANTITY_BONUS
    elif _figure_only_one_side(a, b):
        # "40 tonnes of batteries" is not claimed by a sentence that mentions the
        # batteries without a figure.
        score *= MISSING_FIGURE_FACTOR
    number_conflict = bool(conflicts) and not agreements
    if number_conflict:
        qa, qb = conflicts[0]
        why = f"different figures for {_what(qa, qb)}: {qa.text} against {qb.text}"
    else:
        why = _explain(shared, agreements, weight)
    return Match(
        score=round(min(max(score, 0.0), 1.0), 4),
        stance="disputes" if number_conflict else "supports",
        number_conflict=number_conflict,
        explanation=why,
    )


@dataclass(frozen=True, slots=True)
class Pair:
    left: int  # index into the left texts
    right: int  # index into the right texts
    match: Match


def match_texts(left: Sequence[str], right: Sequence[str]) -> list[Pair]:
    """``match_features`` of two lists of sentences."""
    return match_features([features(t) for t in left], [features(t) for t in right])


def match_features(fl: Sequence[Features], fr: Sequence[Features]) -> list[Pair]:
    """The pairs of sentences, one from each of two articles, that make the same claim.

    A pair is kept when it scores at or above ``MATCH_THRESHOLD`` and is the best match
    of at least one of its two sentences (a claim repeated in several sentences of the
    other article keeps its best counterpart, and a sentence best matched elsewhere is
    not proposed twice). A contradiction needs less wording in common, but the two
    articles must be about the same story: they share at least one agreeing match.
    """
    weights = idf_weights([*fl, *fr])
    scored = []
    for i, a in enumerate(fl):
        for j, b in enumerate(fr):
            if not _worth_comparing(a, b):
                continue
            scored.append(Pair(i, j, compare(a, b, weights)))
    same_story = any(
        not p.match.number_conflict and p.match.score >= MATCH_THRESHOLD for p in scored
    )
    kept = [
        p
        for p in scored
        if p.match.score >= (CONFLICT_THRESHOLD if p.match.number_conflict else MATCH_THRESHOLD)
        and (same_story or not p.match.number_conflict)
    ]
    best_left: dict[int, float] = {}
    best_right: dict[int, float] = {}
    for p in kept:
        if p.match.number_conflict:
            continue
        best_left[p.left] = max(best_left.get(p.left, 0.0), p.match.score)
        best_right[p.right] = max(best_right.get(p.right, 0.0), p.match.score)
    # A contradiction is kept even when its sentences match something else better: a
    # figure disputed by another outlet is what a fact-checker most needs to see.
    return [
        p
        for p in kept
        if p.match.number_conflict
        or p.match.score == best_left[p.left]
        or p.match.score == best_right[p.right]
    ]


def _worth_comparing(a: Features, b: Features) -> bool:
    """Cheap filter: most pairs share nothing but a word or two of the story. Two
    figures need only their counted word in common ("1,200 residents", "4,000 residents")."""
    shared = a.tokens & b.tokens
    if len(shared) >= MIN_SHARED_TOKENS:
        return True
    return bool(shared and a.quantities and b.quantities)


def _weighted_overlap(a: frozenset, b: frozenset, weight) -> float:
    """Overlap coefficient: shared weight over the lighter set's, so a short report of a
    claim still matches the long sentence that contains it."""
    if not a or not b:
        return 0.0
    wa, wb = sum(map(weight, a)), sum(map(weight, b))
    if not wa or not wb:
        return 0.0
    return sum(map(weight, a & b)) / min(wa, wb)


def _compare_quantities(a: Features, b: Features):
    conflicts, agreements = [], []
    for qa in a.quantities:
        for qb in b.quantities:
            if not (qa.context & qb.context) - GENERIC_UNITS:
                continue  # figures for different things, or for "people", "days"...
            if _same_value(qa.value, qb.value):
                agreements.append((qa, qb))
            else:
                conflicts.append((qa, qb))
    # A figure that also appears with its match ("8,000 troops ... 10,000 shells") is not
    # contradicted by the other one.
    agreed = {id(q) for pair in agreements for q in pair}
    conflicts = [(qa, qb) for qa, qb in conflicts if id(qa) not in agreed and id(qb) not in agreed]
    return conflicts, agreements


def _figure_only_one_side(a: Features, b: Features) -> bool:
    for one, other in ((a, b), (b, a)):
        for q in one.quantities:
            if (q.context - GENERIC_UNITS) & other.tokens:
                return True
    return False


def _same_value(x: float, y: float) -> bool:
    return abs(x - y) <= 0.005 * max(abs(x), abs(y))


def _fmt(value: float) -> str:
    """A figure as one word token: 8000, 1p5 (the dot would split it)."""
    return str(int(value)) if value.is_integer() else repr(value).replace(".", "p")


def _what(qa: Quantity, qb: Quantity) -> str:
    return " ".join(sorted((qa.context & qb.context) - GENERIC_UNITS))


def _explain(shared: set[str], agreements, weight) -> str:
    parts = []
    if agreements:
        qa, qb = agreements[0]
        parts.append(f"same figure ({qa.text} {_what(qa, qb)})")
    words = sorted(shared, key=lambda w: (-weight(w), w))[:5]
    if words:
        parts.append("shared words: " + ", ".join(words))
    return "; ".join(parts)
