import json
from datetime import date
from types import GeneratorType

import pytest

from annotations.extraction.bulk import (
    ArticleRow,
    RowError,
    parse_bulk,
    parse_csv,
    parse_jsonl,
)
from annotations.extraction.cleaning import CleaningError


def _jsonl(*records) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


# --- JSON Lines -----------------------------------------------------------------------------


def test_jsonl_rows_keep_their_physical_line_numbers():
    data = _jsonl(
        {"title": "One", "text": "First article.", "published": "2024-11-01"},
        "",
        "   ",
        {"html": "<p>Second</p>", "url": "https://example.org/2", "date": "2024-11-02T10:00:00Z"},
    )

    assert list(parse_jsonl(data)) == [
        ArticleRow(line=1, title="One", text="First article.", published=date(2024, 11, 1)),
        ArticleRow(
            line=4, html="<p>Second</p>", url="https://example.org/2", published=date(2024, 11, 2)
        ),
    ]


def test_jsonl_accepts_every_documented_key():
    record = {
        "title": " T ",
        "url": "http://example.org/a",
        "outlet": "The Ledger",
        "author": "Jo",
        "published_date": "2023-01-31",
        "text": "Body.",
        "html": "<p>Body.</p>",
    }

    (row,) = parse_jsonl(_jsonl(record))

    assert row == ArticleRow(
        line=1,
        title="T",
        url="http://example.org/a",
        outlet="The Ledger",
        author="Jo",
        published=date(2023, 1, 31),
        text="Body.",
        html="<p>Body.</p>",
    )


def test_jsonl_errors_name_the_line_and_do_not_stop_parsing():
    data = _jsonl(
        '{"text": "fine"',
        {"text": "ok", "foo": 1},
        {"title": "no body"},
        {"text": "x", "published": "xyz"},
        [1, 2],
        {"text": 5},
        {"text": "x", "url": "javascript:alert(1)"},
        {"text": "x", "published": "2024-01-01", "date": "2024-01-02"},
        {"text": "last one"},
    )

    results = list(parse_jsonl(data))

    assert [type(r) for r in results] == [RowError] * 8 + [ArticleRow]
    assert [r.line for r in results] == list(range(1, 10))
    messages = [r.message for r in results[:-1]]
    assert messages[0].startswith("line 1 is not valid JSON: ")
    assert messages[1].startswith("unknown key 'foo' (expected one of author, date, html")
    assert messages[2] == "the row has neither text nor html"
    assert messages[3] == "published: 'xyz' is not a date (YYYY-MM-DD)"
    assert messages[4] == "expected a JSON object, got list"
    assert messages[5] == "text: expected a string, got int"
    assert messages[6] == "url: 'javascript:alert(1)' is not an http(s) URL"
    assert messages[7] == "give only one of published, date"


def test_jsonl_handles_crlf_bom_and_unicode_line_separators():
    data = '\ufeff{"text": "a\u2028b"}\r\n{"text": "c"}'

    rows = list(parse_jsonl(data))

    assert [(r.line, r.text) for r in rows] == [(1, "a\u2028b"), (2, "c")]


def test_jsonl_is_lazy():
    rows = parse_jsonl(_jsonl({"text": "a"}, "{broken"))

    assert isinstance(rows, GeneratorType)
    assert next(rows) == ArticleRow(line=1, text="a")


# --- CSV ------------------------------------------------------------------------------------


def test_csv_rows_start_on_the_line_where_the_record_starts():
    data = (
        "Title,Text,Published\r\n"
        '"One","First paragraph.\n\nSecond paragraph.",2024-11-01\r\n'
        "\r\n"
        "Two,Only one,\r\n"
        'Three,"Quoted ""text"", with a comma",bad-date\r\n'
    )

    assert list(parse_csv(data)) == [
        ArticleRow(
            line=2,
            title="One",
            text="First paragraph.\n\nSecond paragraph.",
            published=date(2024, 11, 1),
        ),
        ArticleRow(line=6, title="Two", text="Only one"),
        RowError(line=7, message="published: 'bad-date' is not a date (YYYY-MM-DD)"),
    ]


def test_csv_unknown_column_is_one_error_and_no_rows():
    data = "title,text,foo\nA,Body,x\nB,Body,y\n"

    assert list(parse_csv(data)) == [
        RowError(
            line=1,
            message="unknown column 'foo' (expected one of author, date, html, outlet, "
            "published, published_date, text, title, url)",
        )
    ]


def test_csv_header_after_blank_lines_and_with_bom():
    data = "\ufeff\n\ntext,date\nBody,2024-02-29\n"

    assert list(parse_csv(data)) == [ArticleRow(line=4, text="Body", published=date(2024, 2, 29))]


def test_csv_row_problems():
    data = "title,text,html\nA,,\nB,Body\nC,Body,,extra\n"

    assert list(parse_csv(data)) == [
        RowError(line=2, message="the row has neither text nor html"),
        RowError(line=3, message="expected 3 fields, got 2"),
        RowError(line=4, message="expected 3 fields, got 4"),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("title,title,text", "column 'title' appears more than once"),
        ("title,url", "the header has neither a text nor an html column"),
    ],
)
def test_csv_bad_headers(header, message):
    assert list(parse_csv(header + "\nA,B,C\n")) == [RowError(line=1, message=message)]


def test_csv_accepts_large_fields():
    html = "<p>" + "word " * 100_000 + "</p>"

    (row,) = parse_csv(f'html\n"{html}"\n')

    assert row.html == html


def test_csv_malformed_quoting_is_reported_and_stops():
    results = list(parse_csv('text\nfine\n"bad"quote\nnever read\n'))

    assert results == [
        ArticleRow(line=2, text="fine"),
        RowError(line=3, message="the CSV file is malformed: ',' expected after '\"'"),
    ]


def test_csv_unterminated_quote_is_reported():
    (error,) = parse_csv('text\n"unterminated\n')

    assert error == RowError(line=2, message="the CSV file is malformed: unexpected end of data")


def test_empty_files_have_no_rows():
    assert list(parse_csv("")) == []
    assert list(parse_jsonl("\n\n")) == []


# --- Dispatch -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a.jsonl", "A.NDJSON", "dir/b.csv"])
def test_parse_bulk_dispatches_on_the_extension(name):
    data = "text\nBody\n" if name.endswith("csv") else '{"text": "Body"}\n'

    rows = list(parse_bulk(data, name))

    assert [r.text for r in rows] == ["Body"]


@pytest.mark.parametrize("name", ["articles.json", "articles.txt", "articles"])
def test_parse_bulk_refuses_other_extensions_at_once(name):
    with pytest.raises(CleaningError, match="unsupported bulk file type"):
        parse_bulk("{}", name)
