"""Spans of text: validated offsets with the context needed to find them again.

Offsets are Unicode code points (Python string indices). The browser counts
UTF-16 code units, so the edge converts with ``utf16_to_codepoint``.
"""

from dataclasses import dataclass

CONTEXT_CHARS = 32


class SpanError(ValueError):
    """A span that does not fit the text it claims to point into."""


@dataclass(frozen=True, slots=True)
class TextSpan:
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str


def make_span(text: str, start: int, end: int, quote: str | None = None) -> TextSpan:
    """Validate ``text[start:end]`` (and ``quote``, when given) and return the
    span with up to 32 code points of context on each side."""
    if not isinstance(start, int) or not isinstance(end, int):
        raise SpanError("start and end must be whole numbers")
    if start < 0 or end < 0:
        raise SpanError("start and end must not be negative")
    if start >= end:
        raise SpanError(f"start ({start}) must be before end ({end})")
    if end > len(text):
        raise SpanError(f"end ({end}) is beyond the end of the text ({len(text)} characters)")
    actual = text[start:end]
    if quote is not None and quote != actual:
        raise SpanError(
            f"the quote does not match the text at {start}-{end}: "
            f"expected {actual[:60]!r}, got {quote[:60]!r}"
        )
    if not actual.strip():
        raise SpanError("the span holds only whitespace")
    return TextSpan(
        start=start,
        end=end,
        quote=actual,
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
    )


def utf16_to_codepoint(text: str, offset: int) -> int:
    """Convert a UTF-16 code-unit offset (what JavaScript counts) to a code
    point offset. An offset inside a surrogate pair is refused."""
    if offset < 0:
        raise SpanError("offset must not be negative")
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            raise SpanError(f"offset {offset} falls inside a character")
    if units == offset:
        return len(text)
    raise SpanError(f"offset {offset} is beyond the end of the text")
