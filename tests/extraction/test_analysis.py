import pytest

from annotations.extraction.analysis import claim_type, find_claimant, named_entities, reasons


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The president's warning follows reports that 8,000 North Korean troops are amassed.",
            "quantity",
        ),
        ("Unemployment fell to 3.5 percent.", "quantity"),
        (
            "President Vladimir Putin warned on Sept. 12 that Russia would be “at war”.",
            "prediction",
        ),
        (
            "Pyongyang's cooperation with Moscow has enabled improvements in its technology.",
            "causal",
        ),
        ("Ukraine can’t do it without permission from allies to use the weapons.", "rules"),
        ("The senator voted against the bill twice.", "quantity"),
        ("The senator voted against the measure.", "support"),
        ('"North Korea has tested a new ballistic missile," Zelensky said on X.', "quote"),
        ("Zelensky also called on China to exert its influence over Russia.", "other"),
    ],
)
def test_claim_type(sentence, expected):
    assert claim_type(sentence) == expected


def test_reasons_are_readable():
    sentence = (
        "The Biden administration said on Thursday (October 31, 2024) that some 8,000 North "
        "Korean soldiers are now in Russia’s Kursk region, more than expected."
    )
    found = reasons(sentence, ["soldiers"])
    assert "contains a number or quantity (8,000)" in found
    assert "date (Thursday, October 31, 2024)" in found
    assert "comparison (more than)" in found
    assert "attribution: 'The Biden administration said'" in found
    assert any(r.startswith("named entity (") and "North Korean" in r for r in found)
    assert found[-1] == "model feature: 'soldiers'"
    assert reasons("President Vladimir Putin warned on Sept. 12 that...")[0] == "date (Sept. 12)"
    assert "attribution: 'according to the ministry'" in reasons(
        "Prices rose, according to the ministry."
    )


def test_named_entities():
    assert named_entities("Russia would be at war with the U.S. and NATO states.") == [
        "U.S.",
        "NATO",
    ]
    assert "North Korea" in named_entities("He said North Korea tested a missile.")


@pytest.mark.parametrize(
    ("sentence", "claimant"),
    [
        ('"The first thousands are near," Zelensky said.', "Zelensky"),
        ("Zelensky said that Ukraine could strike every camp.", "Zelensky"),
        (
            "The threat grows, President Volodymyr Zelensky said in a social media post on Nov. 1.",
            "Volodymyr Zelensky",
        ),
        ("“Everyone is waiting,” Mr. Zelenskyy said in a post late on Friday.", "Zelenskyy"),
        (
            "The Biden administration said on Thursday that 8,000 soldiers are in Russia.",
            "The Biden administration",
        ),
        (
            "Russia’s support includes new technologies, "
            "military intelligence chief Kyrylo Budanov claimed.",
            "Kyrylo Budanov",
        ),
        (
            "President Vladimir Putin warned on Sept. 12 that Russia would be at war.",
            "Vladimir Putin",
        ),
        ("Prices rose by 5 percent, according to the Central Bank.", "the Central Bank"),
        (
            "In response, U.S. defense officials have argued that the missiles are limited.",
            "U.S. defense officials",
        ),
        ("The president's warning follows reports that 8,000 troops are amassed.", ""),
        ("North Korean soldiers were deployed to Kursk.", ""),
    ],
)
def test_find_claimant_in_one_sentence(sentence, claimant):
    assert find_claimant([sentence], 0) == claimant


def test_pronouns_and_bare_quotes_resolve_to_the_last_named_speaker():
    sentences = [
        '"North Korea has tested a new ballistic missile just yesterday," Zelensky said on X.',
        '"Yet the world is just watching, observing as this threat grows."',
        'The cooperation has enabled improvements that are "already evident," he said.',
        "The Biden administration said on Thursday that troops are in Kursk.",
        "She said nothing else.",
        "The weather was mild.",
    ]
    assert find_claimant(sentences, 1) == "Zelensky"
    assert find_claimant(sentences, 2) == "Zelensky"
    # "she" is a person, so the administration in between is skipped.
    assert find_claimant(sentences, 4) == "Zelensky"
    assert find_claimant(sentences, 5) == ""
    assert find_claimant(["He said it was fine."], 0) == ""
