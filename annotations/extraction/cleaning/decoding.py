"""Bytes to text: refuse binary, honour BOMs and declared encodings."""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata

from annotations.extraction.cleaning.text import (
    CleaningError,
)

logger = logging.getLogger(__name__)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED = re.compile(
    rb"""<meta[^>]+charset=["']?([\w.:-]+)|<\?xml[^>]+encoding=["']([\w.:-]+)""", re.IGNORECASE
)
_HIGH_RUN = re.compile(rb"[\x80-\xff]{3,}")


def _looks_cp1252(data: bytes) -> bool:
    """Whether undecodable bytes are clearly Western European text from Windows.

    Such text is mostly ASCII with the odd accented letter, curly quote or dash, each one
    byte on its own. So: every byte must be defined in cp1252 (0x81, 0x8D, 0x8F, 0x90 and
    0x9D are not), at most three bytes in ten are non-ASCII, and no three non-ASCII bytes come
    in a row. Other 8-bit encodings (Cyrillic, Greek) and East Asian ones make whole words
    of high bytes and fail the last test; so does UTF-8 damaged in transit.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    high = sum(1 for c in text if ord(c) > 127)
    return high <= len(text) * 0.3 and not _HIGH_RUN.search(data)


def _refuse_binary(text: str) -> str:
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    if "\x00" in text or controls > len(text) / 50:
        raise CleaningError("file looks binary")
    return text


def decode_bytes(data: bytes) -> str:
    """Bytes of an uploaded or fetched text file as ``str``; refuses binary files."""
    if not data.strip():
        raise CleaningError("the file is empty")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _refuse_binary(data.decode(codec))
            except UnicodeDecodeError:
                name = codec.removesuffix("-sig").upper()
                raise CleaningError(f"not valid {name} despite its byte-order mark") from None
    if b"\x00" in data:
        raise CleaningError("file looks binary")
    try:
        return _refuse_binary(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if declared := _DECLARED.search(data[:4096]):
        encoding = (declared[1] or declared[2]).decode("ascii")
        try:
            codecs.lookup(encoding)
            return _refuse_binary(data.decode(encoding))
        except (LookupError, UnicodeDecodeError):
            raise CleaningError(f"not valid UTF-8 nor the declared {encoding}") from None
    if _looks_cp1252(data):
        return _refuse_binary(data.decode("cp1252"))
    raise CleaningError("not valid UTF-8 and no declared encoding")
