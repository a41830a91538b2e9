"""Throughput of check-worthiness scoring and sentence splitting on one core.

Run from the repository root: .venv/bin/python benchmarks/bench_scoring.py [N]

Sentences come from the shared corpora (the demo articles, the CLEF debates, ClaimBuster),
so most of them are distinct; without ../shared they are generated. The first pass starts
with an empty word cache (the realistic case for new text), the second pass reuses it.
"""

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotations.extraction.scoring import CheckWorthinessModel  # noqa: E402
from annotations.extraction.sentences import split_sentences  # noqa: E402
from annotations.extraction.training import read_table  # noqa: E402

SHARED = ROOT.parent / "shared"


def load_sentences(n: int) -> list[str]:
    sentences = []
    for article in sorted((SHARED / "corpus").glob("*.txt")):
        sentences += [s.text for s in split_sentences(article.read_text(encoding="utf-8"))]
    tables = [
        (SHARED / "data" / "clef2020_checkthat_task5_debates" / "train_all.tsv", "text"),
        (SHARED / "data" / "claimbuster" / "crowdsourced.csv", "Text"),
    ]
    for path, column in tables:
        if path.exists():
            sentences += [row[column] for row in read_table(path)]
    if not sentences:
        sentences = generated(n)
    return (sentences * (n // len(sentences) + 1))[:n]


def generated(n: int) -> list[str]:
    rng = random.Random(0)
    words = [
        "the",
        "president",
        "said",
        "that",
        "8,000",
        "troops",
        "were",
        "sent",
        "to",
        "Kursk",
        "in",
        "2024",
        "and",
        "unemployment",
        "rose",
        "by",
        "3.5",
        "percent",
        "while",
        "taxes",
        "fell",
        "we",
        "will",
        "never",
        "accept",
        "this",
        "deal",
        "according",
        "to",
        "officials",
        "Ukraine",
        "Russia",
        "North",
        "Korea",
        "billion",
        "dollars",
        "more",
        "than",
        "ever",
    ]
    return [" ".join(rng.choices(words, k=rng.randint(5, 35))) + "." for _ in range(n)]


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} sentences/s ({count:,} in {seconds:.2f} s)"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    sentences = load_sentences(n)
    started = time.perf_counter()
    model = CheckWorthinessModel.load()
    print(f"model {model.version} loaded in {time.perf_counter() - started:.2f} s")

    for label in ("score, cold word cache", "score, warm word cache"):
        started = time.perf_counter()
        scores = model.score(sentences)
        print(f"{label}: {rate(len(scores), time.perf_counter() - started)}")

    text = "\n".join(sentences)
    started = time.perf_counter()
    spans = split_sentences(text)
    print(f"split_sentences: {rate(len(spans), time.perf_counter() - started)}")


if __name__ == "__main__":
    main()
