"""Turn what people import (scraped text, HTML, Markdown, pasted text, raw bytes) into the
canonical text of an article: the one string every claim offset points into.

Canonical text is Unicode NFC, paragraphs joined by a blank line, runs of spaces collapsed,
nothing at either end. Punctuation, typographic quotes included, is never touched: the
text must read exactly as the outlet published it, so quotes found in it can be searched
for in the original.

Everything here is text in, dataclasses out; errors a user should read are ``CleaningError``.
"""

from annotations.extraction.cleaning.decoding import decode_bytes
from annotations.extraction.cleaning.markup import MAX_HTML_DEPTH, clean_html, clean_markdown
from annotations.extraction.cleaning.scraped import (
    clean_plain_text,
    clean_scraped_text,
    looks_scraped,
)
from annotations.extraction.cleaning.text import MAX_INPUT_CHARS, CleanedArticle, CleaningError

__all__ = [
    "MAX_HTML_DEPTH",
    "MAX_INPUT_CHARS",
    "OUTLET_SIGNATURES",
    "CleanedArticle",
    "CleaningError",
    "clean_html",
    "clean_markdown",
    "clean_plain_text",
    "clean_scraped_text",
    "decode_bytes",
    "looks_scraped",
]
