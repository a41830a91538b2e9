import pytest

from annotations.extraction.spans import SpanError, make_span, utf16_to_codepoint

HARD_TEXTS = [
    "Troops 🇰🇵 arrived: 8,000 👍🏽 soldiers in Kursk.",  # flags and skin-tone modifiers
    "Cafe\u0301 owners said the ban is illegal.",  # e + combining acute (kept decomposed)
    "قال الرئيس إن 8000 جندي وصلوا إلى كورسك.",  # right-to-left Arabic
    "עברית: 8,000 חיילים — said the minister.",  # Hebrew mixed with English
]


@pytest.mark.parametrize("text", HARD_TEXTS)
def test_span_round_trips_with_context(text):
    start, end = 3, len(text) - 2
    span = make_span(text, start, end, text[start:end])
    assert text[span.start : span.end] == span.quote
    assert span.prefix == text[max(0, start - 32) : start]
    assert text.endswith(span.suffix)


def test_context_is_at_most_32_code_points():
    text = "x" * 100 + "CLAIM" + "y" * 100
    span = make_span(text, 100, 105)
    assert (len(span.prefix), len(span.suffix)) == (32, 32)


@pytest.mark.parametrize(
    ("start", "end", "quote", "message"),
    [
        (5, 5, "", "must be before"),
        (6, 2, "x", "must be before"),
        (-1, 3, None, "negative"),
        (0, 999, None, "beyond the end"),
        (0, 5, "Other", "does not match"),
        (5, 6, " ", "only whitespace"),
    ],
)
def test_bad_spans_are_refused_with_a_message(start, end, quote, message):
    with pytest.raises(SpanError, match=message):
        make_span("Hello world, again.", start, end, quote)


def test_utf16_offsets_convert_to_code_points():
    text = "a👍b🇰🇵c"
    # JavaScript: "a"=0, "👍"=1-2, "b"=3, "🇰🇵"=4-7, "c"=8
    assert [utf16_to_codepoint(text, o) for o in (0, 1, 3, 4, 8, 9)] == [0, 1, 2, 3, 5, 6]
    with pytest.raises(SpanError, match="inside a character"):
        utf16_to_codepoint(text, 2)
    with pytest.raises(SpanError, match="beyond"):
        utf16_to_codepoint(text, 10)
