"""The pure matcher: normalisation, figures, scores, stances and the pairing rules."""

import pytest

from annotations.extraction import matching
from annotations.extraction.matching import (
    CONFLICT_THRESHOLD,
    MATCH_THRESHOLD,
    compare,
    content_tokens,
    features,
    match_texts,
    normalise,
    quantities,
    stem,
)


def test_normalise_straightens_quotes_and_case():
    assert normalise("“America  is WATCHING”") == '"america is watching"'
    assert normalise("Zelenskyy’s") == "zelenskyy's"


@pytest.mark.parametrize(
    ("a", "b"),
    [("troops", "troop"), ("Zelenskyy", "Zelensky"), ("missiles", "missile"), ("homes", "home")],
)
def test_stemming_meets_spelling_and_number_variants(a, b):
    assert stem(a.lower()) == stem(b.lower())


def test_figures_are_tokens_whatever_their_spelling():
    assert "8000" in content_tokens("some 8,000 soldiers")
    assert "8000" in content_tokens("8000 soldiers")
    assert "1200000" in content_tokens("1.2 million people")
    assert "80" not in content_tokens("8000 soldiers")  # doubled letters only, not digits


def test_quantities_say_what_they_count():
    (troops,) = quantities("The Biden administration said some 8,000 North Korean soldiers")
    assert troops.value == 8000
    assert {"north", "korean", "soldier"} <= troops.context
    (batteries,) = quantities("about 40 tonnes of lithium-ion batteries")
    assert batteries.value == 40 and "lithium" in batteries.context
    (three,) = quantities("three people were treated")
    assert three.value == 3


@pytest.mark.parametrize(
    "text",
    [
        "on Thursday (October 31, 2024) in Kursk",
        "on Nov. 1 the post said",
        "shortly after 2 a.m. on Tuesday",
        "on Sept. 12 Putin warned",
        "the 31st anniversary",
    ],
)
def test_dates_times_and_years_are_not_quantities(text):
    assert quantities(text) == ()


def test_different_figures_for_the_same_thing_dispute():
    match = compare(
        features("Officials said 8,000 North Korean troops are in Kursk."),
        features("Officials said 10,000 North Korean troops are in Kursk."),
    )
    assert match.number_conflict
    assert match.stance == "disputes"
    assert match.score >= CONFLICT_THRESHOLD
    assert "8,000 against 10,000" in match.explanation


def test_the_same_figure_supports_and_says_so():
    match = compare(
        features("The warehouse stored about 40 tonnes of lithium-ion batteries."),
        features("Fire chief Tomas Berg said the warehouse held about 40 tonnes of batteries."),
    )
    assert not match.number_conflict
    assert match.stance == "supports"
    assert match.score >= MATCH_THRESHOLD
    assert match.explanation.startswith("same figure (40")


def test_figures_for_different_things_do_not_conflict():
    match = compare(
        features("About 120 firefighters fought the blaze in the harbour district."),
        features("Around 4,000 residents of the harbour district were ordered out."),
    )
    assert not match.number_conflict


def test_vague_counted_things_do_not_conflict():
    match = compare(
        features("Three people were treated for smoke inhalation."),
        features("4,000 people were told to leave their homes."),
    )
    assert not match.number_conflict


def test_unrelated_sentences_score_low():
    match = compare(
        features("The central bank raised interest rates by half a point on Wednesday."),
        features("The striker scored twice as the home side won the cup final."),
    )
    assert match.score < 0.1


def test_the_same_speaker_is_not_the_same_claim():
    """Names of who said it count for little: two claims by Mayor Ruiz are two claims."""
    nobody = "Mayor Elena Ruiz said that nobody had died."
    review = "Mayor Elena Ruiz said the council would review the storage rules."
    assert compare(features(nobody), features(review)).score < MATCH_THRESHOLD


def test_scores_are_symmetric_and_bounded():
    a = features("America is watching, Britain is watching, Germany is watching.")
    b = features("Instead, America is watching, Britain is watching, and Germany is watching.")
    forth, back = compare(a, b), compare(b, a)
    assert forth.score == back.score
    assert 0 <= forth.score <= 1


KYIV = [
    "The president's warning follows reports that 8,000 North Korean troops are amassed "
    "in Kursk Oblast and preparing to enter combat alongside Russian forces in the coming days.",
    '"Instead of providing the crucial long-range capabilities, however, America is watching, '
    'Britain is watching, and Germany is watching."',
    "Zelensky also called on China to exert its influence over Russia and North Korea, urging "
    "Beijing to prove its commitment to ending the war.",
    '"North Korea has tested a new ballistic missile just yesterday, achieving record time and '
    'sufficient altitude," Zelensky said on X.',
    "Pyongyang's cooperation with Moscow has enabled improvements in North Korean military "
    'technology that are "already evident," he said.',
]
HINDU = [
    "The Biden administration said on Thursday (October 31, 2024) that some 8,000 North Korean "
    "soldiers are now in Russia's Kursk region near Ukraine's border and are preparing to help "
    "the Kremlin fight against Ukrainian troops in the coming days.",
    "“But instead … America is watching, Britain is watching, Germany is watching. Everyone is "
    "just waiting for the North Korean military to start attacking Ukrainians as well,” "
    "Mr. Zelenskyy said.",
    "North Korean Foreign Minister Choe Son Hui met with her Russian counterpart in Moscow.",
    "Moscow has also consistently signaled that it would view any such strikes as a major "
    "escalation.",
    "President Vladimir Putin warned on Sept. 12 that Russia would be “at war” with the U.S. "
    "and NATO states if they approve them.",
]


def test_match_texts_pairs_the_same_claims_of_two_articles():
    pairs = {(p.left, p.right): p.match for p in match_texts(KYIV, HINDU)}
    assert set(pairs) == {(0, 0), (1, 1)}
    assert all(m.stance == "supports" for m in pairs.values())


def test_match_texts_drops_a_pair_that_is_neither_sentences_best():
    left = [
        "Officials said 8,000 North Korean troops are amassed in the Kursk region.",
        "Some 8,000 North Korean troops were reported in the Kursk region on Monday.",
    ]
    right = [
        "Officials said 8,000 North Korean troops are amassed in the Kursk region today.",
        "Some 8,000 North Korean troops were reported in the Kursk region on Monday night.",
    ]
    pairs = match_texts(left, right)
    assert sorted((p.left, p.right) for p in pairs) == [(0, 0), (1, 1)]


def test_a_contradiction_needs_the_articles_to_share_the_story():
    one = "Around 4,000 residents were ordered out of their homes."
    other = "Authorities evacuated 1,200 residents from the streets around Pier 7."
    assert match_texts([one], [other]) == []  # nothing else links the two articles
    story = "About 120 firefighters fought the Kessel Logistics warehouse blaze for nine hours."
    same = "The blaze at the Kessel Logistics warehouse took some 120 firefighters nine hours."
    pairs = match_texts([one, story], [other, same])
    disputes = [p for p in pairs if p.match.number_conflict]
    assert [(p.left, p.right) for p in disputes] == [(0, 0)]
    assert disputes[0].match.stance == "disputes"


def test_thresholds_are_ordered():
    assert 0 < matching.CONFLICT_THRESHOLD < matching.MATCH_THRESHOLD < 1
