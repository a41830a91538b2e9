"""Agreement between reviewers: how often their verdicts on the same claim
match, beyond chance, and which claims they disagree on (the editor's
adjudication queue).

Pure code: verdicts come in as ``(claim, reviewer, label)`` triples of plain
values, figures go out as dataclasses.

- Krippendorff's alpha (nominal) over every claim with two verdicts or more:
  it handles any number of reviewers and claims that not everyone judged.
  Krippendorff's own reading: at least 0.800 is reliable, at least 0.667
  allows tentative conclusions.
- Cohen's kappa for each pair of reviewers on the claims both judged.
"""

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from itertools import combinations

import krippendorff
import numpy as np

RELIABLE = 0.800
TENTATIVE = 0.667


@dataclass(frozen=True)
class PairAgreement:
    first: Hashable
    second: Hashable
    claims: int  # judged by both
    agreed: int
    kappa: float | None  # None when chance agreement is total (one label only)

    @property
    def percent(self) -> float:
        return 100 * self.agreed / self.claims if self.claims else 0.0


@dataclass(frozen=True)
class NamedPair:
    """A pair's figures with the reviewers' names, for people to read."""

    first: str
    second: str
    figures: PairAgreement


@dataclass(frozen=True)
class Agreement:
    claims: int  # claims with at least two verdicts
    verdicts: int  # the verdicts on them
    unanimous: int  # of those claims, how many with one label only
    alpha: float | None  # None when it is undefined (a single label in all)
    pairs: list[PairAgreement]
    disagreements: list[Hashable]  # claims whose verdicts differ, in input order

    @property
    def reading(self) -> str:
        if self.alpha is None:
            return "not enough variation to measure"
        if self.alpha >= RELIABLE:
            return "reliable"
        if self.alpha >= TENTATIVE:
            return "tentative"
        return "unreliable"


def agreement(verdicts: Iterable[tuple[Hashable, Hashable, Hashable]]) -> Agreement:
    """Agreement over ``(claim, reviewer, label)`` triples, one per reviewer
    and claim. Claims with a single verdict say nothing about agreement and
    are left out."""
    by_claim: dict[Hashable, dict[Hashable, Hashable]] = defaultdict(dict)
    for claim, reviewer, label in verdicts:
        by_claim[claim][reviewer] = label
    judged = {claim: votes for claim, votes in by_claim.items() if len(votes) >= 2}
    disagreements = [claim for claim, votes in judged.items() if len(set(votes.values())) > 1]
    return Agreement(
        claims=len(judged),
        verdicts=sum(len(votes) for votes in judged.values()),
        unanimous=len(judged) - len(disagreements),
        alpha=_alpha(judged),
        pairs=_pairs(judged),
        disagreements=disagreements,
    )


def _alpha(judged: dict) -> float | None:
    labels = sorted({label for votes in judged.values() for label in votes.values()}, key=str)
    if len(labels) < 2:
        return None
    column = {label: i for i, label in enumerate(labels)}
    # Claims x labels: how many reviewers gave each label (the library's
    # compact input; a reviewers x claims matrix would be mostly empty).
    counts = np.zeros((len(judged), len(labels)), dtype=np.int64)
    for row, votes in enumerate(judged.values()):
        for label in votes.values():
            counts[row, column[label]] += 1
    return float(krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))


def _pairs(judged: dict) -> list[PairAgreement]:
    shared: dict[tuple, list[tuple]] = defaultdict(list)
    for votes in judged.values():
        for first, second in combinations(sorted(votes, key=str), 2):
            shared[first, second].append((votes[first], votes[second]))
    pairs = [
        PairAgreement(
            first=first,
            second=second,
            claims=len(labels),
            agreed=sum(a == b for a, b in labels),
            kappa=cohen_kappa(labels),
        )
        for (first, second), labels in shared.items()
    ]
    return sorted(pairs, key=lambda p: (-p.claims, str(p.first), str(p.second)))


def cohen_kappa(labels: list[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items: observed
    agreement corrected for the agreement their label frequencies would
    give by chance. None when chance alone gives full agreement."""
    n = len(labels)
    if n == 0:
        return None
    observed = sum(a == b for a, b in labels) / n
    first, second = Counter(a for a, _ in labels), Counter(b for _, b in labels)
    expected = sum(first[label] * second[label] for label in first) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)
