"""Agreement figures, checked against published worked examples."""

import math

import pytest

from annotations.agreement import agreement, cohen_kappa

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the
# nominal example with missing values: four observers, twelve units.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def triples(matrix):
    return [
        (unit, f"observer {row}", value)
        for row, values in enumerate(matrix)
        for unit, value in enumerate(values)
        if value is not None
    ]


def test_alpha_matches_krippendorffs_worked_example():
    result = agreement(triples(KRIPPENDORFF_2011))
    assert result.alpha == pytest.approx(0.743, abs=0.0005)
    assert result.reading == "tentative"
    # Unit 11 has a single value: it says nothing about agreement.
    assert result.claims == 11 and result.verdicts == 40
    assert result.disagreements == [1, 5, 7]
    assert result.unanimous == 8


def test_cohen_kappa_matches_the_textbook_example():
    # Wikipedia's example: 50 proposals, A and B both say yes to 20 and no
    # to 15; A yes / B no 5, A no / B yes 10. kappa = 0.4.
    labels = [("yes", "yes")] * 20 + [("no", "no")] * 15 + [("yes", "no")] * 5
    labels += [("no", "yes")] * 10
    assert cohen_kappa(labels) == pytest.approx(0.4)
    assert cohen_kappa([("yes", "yes")] * 3) is None  # chance explains it all
    assert cohen_kappa([]) is None


def test_pairs_and_undefined_alpha():
    votes = [
        ("c1", "alice", "supported"),
        ("c1", "bob", "supported"),
        ("c2", "alice", "disputed"),
        ("c2", "bob", "supported"),
        ("c2", "carol", "disputed"),
        ("c3", "alice", "supported"),  # alone: left out
    ]
    result = agreement(votes)
    assert (result.claims, result.verdicts, result.disagreements) == (2, 5, ["c2"])
    pairs = {(p.first, p.second): p for p in result.pairs}
    assert pairs["alice", "bob"].claims == 2 and pairs["alice", "bob"].agreed == 1
    assert pairs["alice", "bob"].percent == 50
    assert pairs["alice", "carol"].agreed == 1 and pairs["alice", "carol"].kappa is None
    assert not math.isnan(result.alpha)

    same = agreement([("c1", "alice", "supported"), ("c1", "bob", "supported")])
    assert same.alpha is None and same.reading == "not enough variation to measure"
    assert agreement([]).claims == 0
