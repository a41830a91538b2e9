import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.extraction.sentences import Span, split_sentences

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")


def texts(text: str) -> list[str]:
    return [span.text for span in split_sentences(text)]


def assert_exact(text: str, spans: list[Span]) -> None:
    for span in spans:
        assert text[span.start : span.end] == span.text
        assert span.text == span.text.strip() and span.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. and the U.K. agreed. Mr. Zelenskyy spoke on Sept. 12. "
            "Growth was 3.5 percent.",
            [
                "The U.S. and the U.K. agreed.",
                "Mr. Zelenskyy spoke on Sept. 12.",
                "Growth was 3.5 percent.",
            ],
        ),
        (
            "He arrived on Oct. 17, 2024 in Kyiv. "
            "Dr. Smith met St. John at 5 p.m. on Nov. 1. Then he left.",
            [
                "He arrived on Oct. 17, 2024 in Kyiv.",
                "Dr. Smith met St. John at 5 p.m. on Nov. 1.",
                "Then he left.",
            ],
        ),
        (
            '"We will win," Zelensky said. "The war will end." He paused.',
            ['"We will win," Zelensky said.', '"The war will end."', "He paused."],
        ),
        (
            '"North Korea tested a missile." Zelensky said on X. Then nothing happened.',
            ['"North Korea tested a missile." Zelensky said on X.', "Then nothing happened."],
        ),
        (
            "“America is watching. Everyone is waiting,” he said. Nobody moved.",
            ["“America is watching. Everyone is waiting,” he said.", "Nobody moved."],
        ),
        ('"Why now?" he asked. Nobody knew.', ['"Why now?" he asked.', "Nobody knew."]),
        (
            "But instead … America is watching. Fine.",
            ["But instead … America is watching.", "Fine."],
        ),
        ("It was a mistake... He knew it.", ["It was a mistake...", "He knew it."]),
        (
            "Sanctions hit the U.S. The president responded.",
            ["Sanctions hit the U.S.", "The president responded."],
        ),
        (
            "John F. Kennedy won in 1960. He was young.",
            ["John F. Kennedy won in 1960.", "He was young."],
        ),
        ("The cost was $3.5 billion. It rose.", ["The cost was $3.5 billion.", "It rose."]),
        (
            "Headline without a stop\nBody text. More.",
            ["Headline without a stop", "Body text.", "More."],
        ),
        ("Is it true? Yes! It is.", ["Is it true?", "Yes!", "It is."]),
        ("中文句子。第二句！", ["中文句子。", "第二句！"]),
        ("", []),
        ("  \n\n \t ", []),
    ],
)
def test_split(text, expected):
    spans = split_sentences(text)
    assert [s.text for s in spans] == expected
    assert_exact(text, spans)


@pytest.mark.parametrize(
    "text",
    [
        "Flags 🇺🇦 and families 👨‍👩‍👧 count as one glyph. They still have many code points.",
        "Combining e\u0301 marks stay put. Café\u0301 too.",
        "مرحبا بالعالم. هذا اختبار؟ نعم.",
        "שלום עולם. זה מבחן.",
        "\u00a0Non-breaking space. Line\u2028separator. End.",
    ],
)
def test_offsets_stay_exact_outside_ascii(text):
    spans = split_sentences(text)
    assert len(spans) >= 2
    assert_exact(text, spans)


def test_right_to_left_sentences_split_at_their_own_punctuation():
    assert texts("مرحبا بالعالم. هذا اختبار؟ نعم.") == ["مرحبا بالعالم.", "هذا اختبار؟", "نعم."]


@given(st.text(alphabet=st.sampled_from(list('ab .!?"“”…\nU.S 3é🇺')), max_size=200))
def test_spans_are_ordered_exact_and_trimmed(text):
    spans = split_sentences(text)
    assert_exact(text, spans)
    for before, after in itertools.pairwise(spans):
        assert before.end <= after.start


@needs_corpus
def test_corpus_sentences_are_whole():
    text = (CORPUS / "the-hindu-ap-2024-11-02-zelenskyy-north-korean-troops.txt").read_text()
    found = texts(text)
    assert (
        "President Vladimir Putin warned on Sept. 12 that Russia would be “at war” with the U.S. "
        "and NATO states if they approve them." in found
    )
    quote = next(s for s in found if s.startswith("“But instead"))
    assert quote.endswith("on the Telegram messaging app.")
    assert any(
        s.startswith("The Biden administration said on Thursday") and "8,000" in s for s in found
    )
    assert "AP" in found  # one-word lines stay their own sentence


@needs_corpus
def test_corpus_quotes_keep_their_attribution():
    text = (CORPUS / "kyiv-independent-2024-11-01-zelensky-world-watching.txt").read_text()
    found = texts(text)
    assert (
        '"North Korea has tested a new ballistic missile just yesterday, achieving record time and '
        'sufficient altitude," Zelensky said on X.' in found
    )
    assert any("on Oct. 17, 2024 (Simon Wohlfahrt/Bloomberg via Getty Images)" in s for s in found)
    assert any(
        s.startswith("While there have been growing reports that the U.K. may") for s in found
    )
    for path in CORPUS.glob("*.txt"):
        assert_exact(path.read_text(), split_sentences(path.read_text()))
