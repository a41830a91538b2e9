"""Article text in, claim candidates out: split, score, explain, classify, attribute."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .analysis import claim_type, find_claimant, reasons
from .scoring import CheckWorthinessModel, default_model
from .sentences import split_sentences

# Headlines, bylines and captions are short; a claim needs a subject, a verb and an object.
MIN_WORDS = 4
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    start: int
    end: int
    text: str
    score: float
    eligible: bool  # False for fragments that are never proposed, whatever their score


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    quote: str
    score: float
    reasons: tuple[str, ...]
    claim_type: str
    claimant: str


def is_eligible(sentence: str) -> bool:
    return len(sentence.split()) >= MIN_WORDS and _LETTER.search(sentence) is not None


def score_sentences(text: str, model: CheckWorthinessModel | None = None) -> list[ScoredSentence]:
    """Every sentence of ``text`` with its check-worthiness score, in text order."""
    return _scored(text, model or default_model())[0]


def _scored(text: str, model: CheckWorthinessModel) -> tuple[list[ScoredSentence], np.ndarray]:
    """The scored sentences and their per-stage margins (one row each)."""
    spans = split_sentences(text)
    margins = model.margins([s.text for s in spans])
    scores = model.score_from_margins(margins)
    scored = [
        ScoredSentence(s.start, s.end, s.text, float(score), is_eligible(s.text))
        for s, score in zip(spans, scores, strict=True)
    ]
    return scored, margins


def extract_candidates(
    text: str, *, threshold: float | None = None, model: CheckWorthinessModel | None = None
) -> list[Candidate]:
    """Sentences scoring at or above ``threshold`` (default: the model's), in text order."""
    model = model or default_model()
    cutoff = model.threshold if threshold is None else threshold
    scored, margins = _scored(text, model)
    sentences = [s.text for s in scored]
    return [
        Candidate(
            start=s.start,
            end=s.end,
            quote=s.text,
            score=s.score,
            reasons=tuple(reasons(s.text, model.top_features(s.text, margins=margins[i]))),
            claim_type=claim_type(s.text),
            claimant=find_claimant(sentences, i),
        )
        for i, s in enumerate(scored)
        if s.eligible and s.score >= cutoff
    ]
