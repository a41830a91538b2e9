"""Parse bulk import files (JSON Lines and CSV) into rows, one article each.

Parsing never stops at a bad row: it yields a ``RowError`` naming the physical line, so
a person can fix the file and send only the rows that failed. The one exception is a CSV
header with an unknown column, which would misread every row after it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath

from annotations.extraction.cleaning import CleaningError

FIELDS = ("title", "url", "outlet", "author", "published", "text", "html")
DATE_ALIASES = ("published", "published_date", "date")
ACCEPTED = tuple(sorted({*FIELDS, *DATE_ALIASES}))
EXTENSIONS = (".jsonl", ".ndjson", ".csv")

# csv refuses fields over 128 KiB by default; a whole article's HTML is often bigger.
_CSV_FIELD_LIMIT = 50_000_000
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]")


@dataclass
class ArticleRow:
    line: int
    title: str = ""
    url: str = ""
    outlet: str = ""
    author: str = ""
    published: date | None = None
    text: str = ""
    html: str = ""


@dataclass
class RowError:
    line: int
    message: str


Parsed = ArticleRow | RowError


def _expected() -> str:
    return ", ".join(ACCEPTED)


def _parse_date(value: str) -> date:
    """``YYYY-MM-DD``, or an ISO timestamp of which only the day is kept."""
    try:
        if _DATETIME.match(value):
            return datetime.fromisoformat(value).date()
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"published: {value!r} is not a date (YYYY-MM-DD)") from None


def _row(line: int, values: dict[str, object]) -> Parsed:
    """Check one record's values (keys already known to be accepted)."""
    fields: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        if not isinstance(value, str):
            return RowError(line, f"{key}: expected a string, got {type(value).__name__}")
        if value.strip():
            fields[key] = value
    dates = [key for key in DATE_ALIASES if key in fields]
    if len(dates) > 1:
        return RowError(line, f"give only one of {', '.join(dates)}")
    published = None
    if dates:
        try:
            published = _parse_date(fields.pop(dates[0]).strip())
        except ValueError as exc:
            return RowError(line, str(exc))
    url = fields.get("url", "").strip()
    if url and not url.lower().startswith(("http://", "https://")):
        return RowError(line, f"url: {url!r} is not an http(s) URL")
    if not fields.get("text") and not fields.get("html"):
        return RowError(line, "the row has neither text nor html")
    return ArticleRow(
        line=line,
        title=fields.get("title", "").strip(),
        url=url,
        outlet=fields.get("outlet", "").strip(),
        author=fields.get("author", "").strip(),
        published=published,
        text=fields.get("text", ""),
        html=fields.get("html", ""),
    )


def _lines(data: str) -> Iterator[tuple[int, str]]:
    """Physical lines with their 1-based numbers, without copying the whole string."""
    start, number = 0, 1
    while start < len(data):
        end = data.find("\n", start)
        if end == -1:
            end = len(data)
        yield number, data[start:end].rstrip("\r")
        start, number = end + 1, number + 1


def parse_jsonl(data: str) -> Iterator[Parsed]:
    """One JSON object per line; blank lines are skipped."""
    for number, text in _lines(data.removeprefix("\ufeff")):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            yield RowError(
                number, f"line {number} is not valid JSON: {exc.msg} (column {exc.colno})"
            )
            continue
        if not isinstance(record, dict):
            yield RowError(number, f"expected a JSON object, got {type(record).__name__}")
            continue
        unknown = sorted(set(record) - set(ACCEPTED))
        if unknown:
            yield RowError(number, f"unknown key {unknown[0]!r} (expected one of {_expected()})")
            continue
        yield _row(number, record)


def parse_csv(data: str) -> Iterator[Parsed]:
    """A CSV file with a header row naming the columns; blank rows are skipped."""
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(data.removeprefix("\ufeff"), newline=""), strict=True)
    header: list[str] | None = None
    line = 1  # where the next record starts: the line after the previous one ended
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in record]
                if problem := _header_problem(header):
                    yield RowError(start, problem)
                    return
                continue
            if len(record) != len(header):
                yield RowError(start, f"expected {len(header)} fields, got {len(record)}")
                continue
            yield _row(start, dict(zip(header, record, strict=True)))
    except csv.Error as exc:
        yield RowError(line, f"the CSV file is malformed: {exc}")


def _header_problem(header: list[str]) -> str:
    for column in header:
        if column not in ACCEPTED:
            return f"unknown column {column!r} (expected one of {_expected()})"
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        return f"column {duplicates[0]!r} appears more than once"
    if "text" not in header and "html" not in header:
        return "the header has neither a text nor an html column"
    return ""


def parse_bulk(data: str, filename: str) -> Iterator[Parsed]:
    """Parse by the file's extension; raises ``CleaningError`` for any other extension."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return parse_jsonl(data)
    if suffix == ".csv":
        return parse_csv(data)
    raise CleaningError(
        f"unsupported bulk file type {suffix or filename!r} (expected .jsonl, .ndjson or .csv)"
    )
