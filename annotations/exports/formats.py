"""JSONL, JSON and CSV: generators of UTF-8 chunks of about ``FLUSH_AT``
bytes, so a response or a file is written as it is read."""

import io
import re
from collections.abc import Iterable, Iterator

import msgspec

from annotations.exports.records import ExportScope, claim_records
from annotations.exports.schema import Record

# Writes each record onto the end of a buffer: no bytes object per record.
_encoder = msgspec.json.Encoder()

BOM = "\ufeff"
# What a cell a spreadsheet reads as a formula starts with.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "uuid",
    "quote",
    "start",
    "end",
    "normalized_text",
    "claim_type",
    "claimant",
    "state",
    "final_verdict",
    "final_verdict_by",
    "verdicts",
    "evidence_urls",
    "evidence_count",
    "origin",
    "score",
    "extractor_version",
    "author",
    "article_uuid",
    "article_title",
    "article_outlet",
    "article_url",
    "article_published_date",
    "created_at",
    "updated_at",
)


# Each record is encoded as soon as it is built (see ``records``) and written
# to a buffer, given out when it passes ``FLUSH_AT`` bytes and at the end of
# each page: no list of a page's records, nor of their encodings. A buffer of
# a whole page (megabytes) would be new memory for each page, and filling
# it, faulting its pages in, costs as much as encoding the records.
FLUSH_AT = 256 * 1024


def jsonl(scope: ExportScope) -> Iterator[bytes]:
    for page in claim_records(scope):
        buffer = bytearray()
        for record in page:
            _encoder.encode_into(record, buffer, -1)
            buffer += b"\n"
            if len(buffer) >= FLUSH_AT:
                yield bytes(buffer)
                buffer = bytearray()
        if buffer:
            yield bytes(buffer)


def array(items: Iterable[bytes], *, before: bytes = b"[", after: bytes = b"\n]\n"):
    """A JSON array of items already encoded, one a line, in chunks of
    about ``FLUSH_AT`` bytes, between ``before`` and ``after``."""
    buffer = bytearray(before)
    separator = b"\n"
    for item in items:
        buffer += separator
        buffer += item
        separator = b",\n"
        if len(buffer) >= FLUSH_AT:
            yield bytes(buffer)
            buffer = bytearray()
    buffer += after
    yield bytes(buffer)


def json_array(scope: ExportScope) -> Iterator[bytes]:
    yield b"["
    separator = b"\n"
    for page in claim_records(scope):
        buffer = bytearray()
        for record in page:
            buffer += separator
            _encoder.encode_into(record, buffer, -1)
            separator = b",\n"
            if len(buffer) >= FLUSH_AT:
                yield bytes(buffer)
                buffer = bytearray()
        if buffer:
            yield bytes(buffer)
    yield b"\n]\n"


def csv_rows(scope: ExportScope, *, bom: bool = False) -> Iterator[bytes]:
    buffer = io.StringIO()
    buffer.write((BOM if bom else "") + csv_line(CSV_COLUMNS))
    for page in claim_records(scope):
        for record in page:
            buffer.write(csv_line(_csv_row(record)))
            if buffer.tell() >= FLUSH_AT:
                yield _drain(buffer).encode("utf-8")
    yield _drain(buffer).encode("utf-8")


def csv_line(cells: list[str]) -> str:
    """A row of text cells, made safe (``safe_cells``), as the csv module
    writes it (Excel's dialect), at a fraction of the cost of doing either
    cell by cell: the cells joined by commas show whether any cell starts
    like a formula, or needs quoting; in most rows none does."""
    line = ",".join(cells)
    if line.startswith(FORMULA_STARTS) or _FORMULA.search(line):
        cells = safe_cells(cells)
        line = ",".join(cells)
    if '"' in line or "\n" in line or "\r" in line:
        return ",".join(map(_quoted, cells)) + "\r\n"
    if line.count(",") != len(cells) - 1:  # commas in cells: quoted
        return ",".join(['"' + cell + '"' if "," in cell else cell for cell in cells]) + "\r\n"
    if line or len(cells) > 1:
        return line + "\r\n"
    return '""\r\n'  # a row of one empty cell, not an empty line


# A cell after the first starting like a formula, or a text where one may
# (a false alarm costs only the cell-by-cell way). One character class, with
# no alternative: "(?:^|,)" would make the search eight times as slow.
_FORMULA = re.compile(",[" + re.escape("".join(FORMULA_STARTS)) + "]")


def safe_cells(cells: list[str]) -> list[str]:
    """A cell a spreadsheet would read as a formula (or a DDE call) gets a
    leading apostrophe, which spreadsheets show as plain text."""
    return ["'" + cell if cell.startswith(FORMULA_STARTS) else cell for cell in cells]


def _quoted(cell: str) -> str:
    if "," in cell or '"' in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _csv_row(record: Record) -> list[str]:
    """The record's cells, as text (numbers as Python writes them, nothing
    for None)."""
    article = record.article
    final = record.final_verdict
    provenance = record.provenance
    score = provenance.score
    urls = []
    for link in record.evidence:
        url = getattr(link.target, "url", "")
        if url:
            urls.append(url)
    return [
        record.uuid,
        record.quote,
        str(record.start),
        str(record.end),
        record.normalized_text,
        record.claim_type,
        record.claimant,
        record.state,
        final.verdict if final else "",
        (final.editor or "") if final else "",
        "; ".join(f"{v.reviewer}: {v.verdict}" for v in record.verdicts),
        " ".join(urls),
        str(len(record.evidence)),
        provenance.origin,
        "" if score is None else repr(score),
        provenance.extractor_version or "",
        provenance.author or "",
        article.uuid,
        article.title,
        article.outlet,
        article.url,
        article.published_date or "",
        provenance.created_at,
        provenance.updated_at,
    ]
