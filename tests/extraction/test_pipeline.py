from pathlib import Path

import pytest

from annotations.extraction.pipeline import (
    Candidate,
    extract_candidates,
    is_eligible,
    score_sentences,
)
from annotations.extraction.scoring import default_model

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
HINDU = "the-hindu-ap-2024-11-02-zelenskyy-north-korean-troops.txt"
KYIV = "kyiv-independent-2024-11-01-zelensky-world-watching.txt"


def candidates(name: str) -> list[Candidate]:
    return extract_candidates((CORPUS / name).read_text(encoding="utf-8"))


def find(found: list[Candidate], start: str) -> Candidate:
    return next(c for c in found if c.quote.startswith(start))


def test_eligibility():
    assert not is_eligible("Comments")
    assert not is_eligible("Editors' Picks")
    assert not is_eligible("12 000 34 56 78")
    assert is_eligible("Taxes rose by 5 percent.")


def test_score_sentences_keeps_every_sentence_in_order():
    text = "Comments\nUnemployment rose by 3.5 percent in 2023. Thank you all very much."
    scored = score_sentences(text)
    assert [s.text for s in scored] == [
        "Comments",
        "Unemployment rose by 3.5 percent in 2023.",
        "Thank you all very much.",
    ]
    assert [s.eligible for s in scored] == [False, True, True]
    assert scored[1].score > default_model().threshold > scored[2].score
    assert all(text[s.start : s.end] == s.text for s in scored)


def test_threshold_controls_how_many_candidates():
    text = "Unemployment rose by 3.5 percent in 2023. Thank you all very much. Comments"
    assert [c.quote for c in extract_candidates(text)] == [
        "Unemployment rose by 3.5 percent in 2023."
    ]
    assert len(extract_candidates(text, threshold=0.0)) == 2  # "Comments" is never one
    assert extract_candidates(text, threshold=1.0) == []
    assert extract_candidates("") == []


@needs_corpus
def test_hindu_article_candidates():
    text = (CORPUS / HINDU).read_text(encoding="utf-8")
    found = extract_candidates(text)
    assert all(text[c.start : c.end] == c.quote for c in found)
    assert [c.start for c in found] == sorted(c.start for c in found)

    troops = find(found, "The Biden administration said on Thursday")
    assert troops.claimant == "The Biden administration"
    assert troops.claim_type == "quantity"
    assert "contains a number or quantity (8,000)" in troops.reasons
    assert troops.score >= default_model().threshold

    putin = find(found, "President Vladimir Putin warned on Sept. 12")
    assert putin.claimant == "Vladimir Putin"
    assert "date (Sept. 12)" in putin.reasons
    assert putin.claim_type == "prediction"

    deal = find(found, "Russia and North Korea sign partnership deal")
    assert any(r.startswith("named entity (") and "North Korea" in r for r in deal.reasons)

    watching = find(found, "“But instead … America is watching")
    assert watching.claimant == "Zelenskyy"
    assert find(found, "But he said Ukraine can’t do it").claimant == "Volodymyr Zelenskyy"


@needs_corpus
def test_kyiv_article_candidates():
    found = candidates(KYIV)
    troops = find(found, "The president's warning follows reports that 8,000")
    assert troops.claim_type == "quantity"
    assert "contains a number or quantity (8,000)" in troops.reasons

    missile = find(found, '"North Korea has tested a new ballistic missile just yesterday')
    assert missile.claimant == "Zelensky"
    assert missile.claim_type == "quote"
    assert "attribution: 'Zelensky said'" in missile.reasons
    assert "comparison (record)" in missile.reasons

    budanov = find(found, "Russia’s support in nuclear capabilities")
    assert budanov.claimant == "Kyrylo Budanov"
    assert find(found, "The international community is").claimant == "Volodymyr Zelensky"
    assert not any(c.quote in ("Comments", "Editors' Picks") for c in found)
