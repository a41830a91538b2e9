"""JSONL, JSON and CSV: generators of UTF-8 chunks of about ``FLUSH_AT``
bytes, so a response or a file is written as it is read."""

import csv
import io
from collections.abc import Iterable, Iterator

import msgspec

from annotations.exports.records import ExportScope, claim_records
from annotations.exports.schema import Record

# Writes each record onto the end of a buffer: no bytes object per record.
_encoder = msgspec.json.Encoder()

BOM = "\ufeff"
# A cell a spreadsheet would read as a formula (or a DDE call) is written
# with a leading apostrophe, which spreadsheets show as plain text.
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
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield ((BOM if bom else "") + _drain(buffer)).encode("utf-8")
    for page in claim_records(scope):
        for record in page:
            writer.writerow(_csv_row(record))
            if buffer.tell() >= FLUSH_AT:
                yield _drain(buffer).encode("utf-8")
        if buffer.tell():
            yield _drain(buffer).encode("utf-8")


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def _csv_row(record: Record) -> list:
    article = record.article
    final = record.final_verdict
    provenance = record.provenance
    urls = []
    for link in record.evidence:
        url = getattr(link.target, "url", "")
        if url:
            urls.append(url)
    row = [
        record.uuid,
        record.quote,
        record.start,
        record.end,
        record.normalized_text,
        record.claim_type,
        record.claimant,
        record.state,
        final.verdict if final else None,
        final.editor if final else None,
        "; ".join(f"{v.reviewer}: {v.verdict}" for v in record.verdicts),
        " ".join(urls),
        len(record.evidence),
        provenance.origin,
        provenance.score,
        provenance.extractor_version,
        provenance.author,
        article.uuid,
        article.title,
        article.outlet,
        article.url,
        article.published_date,
        provenance.created_at,
        provenance.updated_at,
    ]
    return [safe_cell(value) for value in row]
