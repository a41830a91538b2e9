import unicodedata
from datetime import date
from pathlib import Path

import pytest

from annotations.extraction.cleaning import (
    CleaningError,
    clean_html,
    clean_markdown,
    clean_plain_text,
    clean_scraped_text,
    decode_bytes,
    looks_scraped,
    markup,
    text,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
KYIV = CORPUS / "kyiv-independent-2024-11-01-zelensky-world-watching.txt"
HINDU = CORPUS / "the-hindu-ap-2024-11-02-zelenskyy-north-korean-troops.txt"


def _source_line(path: Path, start: str) -> str:
    """The line of the raw file that starts with ``start``, as canonical text has it."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(start):
            return " ".join(line.replace("\xa0", " ").split())
    raise AssertionError(f"no line starts with {start!r}")


def _assert_canonical(text: str) -> None:
    assert text == unicodedata.normalize("NFC", text)
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert "  " not in text
    assert "\xa0" not in text
    assert all(p == p.strip() and p for p in text.split("\n\n"))


# --- The demo corpus ---------------------------------------------------------------------

KYIV_STORY = [
    "The international community is",
    "Zelensky said that if Ukraine had permission",
    "The president's warning follows reports",
    '"North Korea has tested a new ballistic missile',
    '"Yet the world is just watching',
    "Pyongyang's cooperation with Moscow",
    '"The first thousands of North Korean soldiers',
    'Ukraine is able to see "every site',
    '"Instead of providing the crucial long-range capabilities',
    "Zelensky also called on China",
    "While there have been growing reports",
]

KYIV_FURNITURE = [
    "Skip to content",
    "News Feed, Volodymyr Zelensky",
    "min read",
    "Illustrative purposes",
    "Getty Images",
    "This audio is created with AI assistance",
    "Russia helping North Korea with sanctions evasion",
    "Russia\u2019s support in nuclear capabilities",
    "Budanov",
    "The Kyiv IndependentMartin Fornusek",
    "A war of two countries against one",
    "In a lengthy post on social media on Oct. 31",
    "Kursk Oblas\u2026",
    "Dmytro Basmat",
    "Authors:",
    "Comments",
    "Editors' Picks",
    "date 2024",
]


def test_kyiv_independent_keeps_every_paragraph_verbatim_and_in_order():
    article = clean_scraped_text(KYIV.read_text(encoding="utf-8"))

    expected = [_source_line(KYIV, start) for start in KYIV_STORY]
    assert article.text.split("\n\n") == expected
    _assert_canonical(article.text)


@pytest.mark.parametrize("furniture", KYIV_FURNITURE)
def test_kyiv_independent_drops_page_furniture(furniture):
    article = clean_scraped_text(KYIV.read_text(encoding="utf-8"))

    assert furniture not in article.text


def test_kyiv_independent_metadata():
    article = clean_scraped_text(KYIV.read_text(encoding="utf-8"))

    assert article.title == "World 'merely watching' as North Korea threat grows, Zelensky warns"
    assert article.outlet == "The Kyiv Independent"
    assert article.author == "Abbey Fenbert, The Kyiv Independent news desk"
    # The leading date line wins over the byline's local time (November 2, 12:34 AM).
    assert article.published == date(2024, 11, 1)


HINDU_STORY = [
    "Ukraine's President Volodymyr Zelenskyy urged its allies",
    "Zelenskyy raised the prospect",
    "\u201cBut instead \u2026 America is watching",
    "The Biden administration said on Thursday",
    "Western leaders have described",
    "North Korean Foreign Minister Choe Son Hui",
    "Ukrainian leaders have repeatedly said",
    "Moscow has also consistently signaled",
]

HINDU_FURNITURE = [
    "GIFT a Subscription",
    "Photo Credit",
    "Published -",
    "IST",
    "China, Russia discuss Ukraine as West slams North Korean troops",
    "North Korean troop deployment in Russia\n",
    "Russia and North Korea sign partnership deal",
    # the standfirst, a copy of the lede without its full stop (see clean_scraped_text)
    "Ukraine\u2019s President Volodymyr Zelenskyy has urged",
]


def test_the_hindu_keeps_every_paragraph_verbatim_and_in_order():
    article = clean_scraped_text(HINDU.read_text(encoding="utf-8"))

    expected = [_source_line(HINDU, start) for start in HINDU_STORY]
    assert article.text.split("\n\n") == expected
    _assert_canonical(article.text)


@pytest.mark.parametrize("furniture", HINDU_FURNITURE)
def test_the_hindu_drops_page_furniture(furniture):
    article = clean_scraped_text(HINDU.read_text(encoding="utf-8"))

    assert furniture not in article.text + "\n"


def test_the_hindu_drops_bare_credit_and_caption_lines():
    paragraphs = clean_scraped_text(HINDU.read_text(encoding="utf-8")).text.split("\n\n")

    assert "AP" not in paragraphs
    assert "Ukrainian President Volodymyr Zelenskyy" not in paragraphs


def test_the_hindu_metadata():
    article = clean_scraped_text(HINDU.read_text(encoding="utf-8"))

    assert article.title == (
        "Ukraine\u2019s Zelenskyy urges allies to take steps before North Korean troops "
        "reach the front"
    )
    assert article.outlet == "The Hindu"
    assert article.author == "AP"
    assert article.published == date(2024, 11, 2)


def test_the_corpus_is_recognised_as_scraped():
    assert looks_scraped(KYIV.read_text(encoding="utf-8"))
    assert looks_scraped(HINDU.read_text(encoding="utf-8"))
    assert clean_plain_text(KYIV.read_text(encoding="utf-8")) == clean_scraped_text(
        KYIV.read_text(encoding="utf-8")
    )


# --- Other scraped articles, to show the rules are not tuned to the two above -------------

HARBOUR = """\
 date 2023-06-14 Skip to content
Business, Ports, Shipping, Harbour Authority, Weather
Storm closes the northern harbour for a third day

by Mira Olsen and The Coastal Ledger news desk June 15, 2023 9:05 AM 3 min read
A container ship waits outside the breakwater on June 13, 2023 (Photo: Jon Berg/AFP)
Listen to this article

The northern harbour stayed closed on Wednesday as waves of up to six metres battered \
the breakwater, the port authority said.

Around 40 vessels are waiting offshore, according to the authority's figures.

Will the ferry timetable survive the summer?
Operators say a fourth day of closure would force them to cancel all evening crossings.
The Coastal LedgerPer Lund

"We have never seen a June like this," harbour master Ida Vik said.

Damage to the quay

Engineers will inspect the quay once the wind drops below gale force.

Ferry operators warn of weeks of delays
Three companies said their summer schedules were already under strain after\u2026
The Coastal LedgerAnna Holm

By contrast, the southern harbour remained open throughout the storm.

Authors: Mira Olsen, The Coastal Ledger news desk
Comments

Editors' Picks

City council approves new tram line
The vote followed two years of public consultation and a lengthy court case.
"""


def test_synthetic_ledger_article():
    article = clean_scraped_text(HARBOUR)

    assert article.text.split("\n\n") == [
        "The northern harbour stayed closed on Wednesday as waves of up to six metres battered "
        "the breakwater, the port authority said.",
        "Around 40 vessels are waiting offshore, according to the authority's figures.",
        '"We have never seen a June like this," harbour master Ida Vik said.',
        "Engineers will inspect the quay once the wind drops below gale force.",
        "By contrast, the southern harbour remained open throughout the storm.",
    ]
    assert article.title == "Storm closes the northern harbour for a third day"
    assert article.outlet == "The Coastal Ledger"
    assert article.author == "Mira Olsen, The Coastal Ledger news desk"
    assert article.published == date(2023, 6, 14)


WIRE = """\
Subscribe
Farmers \u2018running out of time\u2019 as river levels fall

Farmers in the valley say they are running out of time as river levels fall to a record low.

Updated - March 03, 2022 11:20 am GMT - LISBON

Reuters
A dry riverbed near the village | Photo Credit: Reuters

Farmers in the valley say they are running out of time as river levels fall to a \
record low, with irrigation already cut by half.

The regional water board said the shortage would last \u201cat least until the autumn\u201d.

Drought in the south

Officials said the restrictions were published on Telegram (via the ministry) on Monday.

Government promises aid for dairy farms
"""


def test_synthetic_wire_article():
    article = clean_scraped_text(WIRE)

    assert article.text.split("\n\n") == [
        "Farmers in the valley say they are running out of time as river levels fall to a "
        "record low, with irrigation already cut by half.",
        "The regional water board said the shortage would last \u201cat least until the "
        "autumn\u201d.",
        "Officials said the restrictions were published on Telegram (via the ministry) on Monday.",
    ]
    assert article.title == "Farmers \u2018running out of time\u2019 as river levels fall"
    assert article.author == "Reuters"
    assert article.published == date(2022, 3, 3)
    assert article.outlet == ""  # nothing on the page names it


def test_scraped_text_with_nothing_left_is_an_error():
    with pytest.raises(CleaningError, match="no text after cleaning"):
        clean_scraped_text(" date 2024-01-01 Skip to content\nComments\n\nEditors' Picks\n")


# --- Plain text -----------------------------------------------------------------------------


def test_plain_text_is_only_tidied():
    article = clean_plain_text(
        "\ufeff  Cafe\u0301 owners met   on Monday.\r\nThey agreed."
        "\r\n\r\n\r\n\r\nSecond  part.  \n"
    )

    assert article.text == "Caf\u00e9 owners met on Monday.\nThey agreed.\n\nSecond part."
    assert article.title == ""
    assert not looks_scraped("Cafe owners met on Monday.\n\nBy contrast, nobody came.")


def test_plain_text_routes_scraped_text_by_its_furniture():
    pasted = "Skip to content\nA headline\n\nThe first paragraph of the pasted page is here.\n"

    assert looks_scraped(pasted)
    assert clean_plain_text(pasted).text == "The first paragraph of the pasted page is here."


def test_empty_text_is_an_error():
    with pytest.raises(CleaningError, match="the article has no text after cleaning"):
        clean_plain_text(" \n\n\t\n")


def test_huge_text_is_an_error(monkeypatch):
    monkeypatch.setattr(text, "MAX_INPUT_CHARS", 100)
    with pytest.raises(CleaningError, match="too large"):
        clean_plain_text("word " * 100)


# --- HTML -----------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head>
<title>Bridge reopens after repairs | The Valley Post</title>
<meta property="og:title" content="Bridge reopens after repairs">
<meta property="og:site_name" content="The Valley Post">
<meta name="author" content="Sam Reyes">
<meta property="article:published_time" content="2024-05-06T08:00:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article>
<h1>Bridge reopens after repairs</h1>
<p>The old stone bridge over the river reopened on Monday after eight months of repairs
that cost the town 2.4 million euros, the mayor said.</p>
<p>Engineers replaced two of the five arches and strengthened the foundations against
floods, according to the council's report.</p>
</article>
<footer>Copyright The Valley Post</footer>
</body></html>"""

HOSTILE = """<html><head><title>Hostile</title><style>body { color: red }</style>
<script>alert('head')</script></head><body onload="alert('body')">
<article><h1>Hostile page</h1>
<p>The council met on Monday evening to vote on the budget for the coming year.</p>
<img src="x" onerror="alert('img')">
<p>A <a href="javascript:alert('link')">linked phrase</a> sits inside this second paragraph.</p>
<svg><script>alert('svg')</script></svg><iframe src="javascript:alert('frame')"></iframe>
<p>The budget passed by seven votes to two after a long debate about roads.</p>
</article></body></html>"""


def test_html_article_and_metadata():
    article = clean_html(PAGE, url="https://valley.example/bridge")

    assert article.text.split("\n\n") == [
        "The old stone bridge over the river reopened on Monday after eight months of repairs "
        "that cost the town 2.4 million euros, the mayor said.",
        "Engineers replaced two of the five arches and strengthened the foundations against "
        "floods, according to the council's report.",
    ]
    assert article.title == "Bridge reopens after repairs"
    assert article.outlet == "The Valley Post"
    assert article.author == "Sam Reyes"
    assert article.published == date(2024, 5, 6)
    assert article.language == "en"


def _assert_inert(text: str) -> None:
    for bad in ("alert", "javascript", "onerror", "onload", "color: red", "<", ">"):
        assert bad not in text


def test_hostile_html_leaks_nothing():
    article = clean_html(HOSTILE)

    _assert_inert(article.text + article.title)
    assert "linked phrase" in article.text
    assert "The budget passed by seven votes" in article.text


def test_hostile_html_leaks_nothing_in_the_fallback(monkeypatch):
    monkeypatch.setattr(markup.trafilatura, "bare_extraction", lambda *args, **kwargs: None)

    article = clean_html(HOSTILE)

    _assert_inert(article.text + article.title)
    assert article.title == "Hostile"
    assert "linked phrase sits inside this second paragraph." in article.text


def test_fallback_when_trafilatura_raises(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(markup.trafilatura, "bare_extraction", broken)

    assert "2.4 million euros" in clean_html(PAGE).text


def test_deeply_nested_html_is_refused_quickly():
    nested = "<div>" * 50_000 + "<p>deep</p>" + "</div>" * 50_000

    with pytest.raises(CleaningError, match="nested too deeply"):
        clean_html(nested)


def test_moderately_nested_html_is_fine():
    nested = (
        "<div>" * 300 + "<p>A sentence deep inside many boxes is still text.</p>" + "</div>" * 300
    )

    assert "A sentence deep inside" in clean_html(nested).text


def test_html_without_text_is_an_error():
    with pytest.raises(CleaningError, match="no text after cleaning"):
        clean_html("<html><body><script>alert(1)</script></body></html>")


# --- Markdown -------------------------------------------------------------------------------

MARKDOWN = """# Budget *passed* after [long](https://example.org) debate

The council **approved** the budget on _Monday_, with ![a chart](chart.png) seven votes
to two. See [the minutes][1] and <https://example.org/minutes>.

## What changes

- Roads get `more` money
- Parks get ~~fewer~~ benches

> "We listened," the mayor said.

```
print("code stays *as is*")
```

[1]: https://example.org/minutes
"""


def test_markdown():
    article = clean_markdown(MARKDOWN)

    assert article.title == "Budget passed after long debate"
    assert article.text.split("\n\n") == [
        "The council approved the budget on Monday, with seven votes to two. See the minutes "
        "and https://example.org/minutes.",
        "What changes",
        "Roads get more money\nParks get fewer benches",
        '"We listened," the mayor said.',
        'print("code stays *as is*")',
    ]


def test_markdown_keeps_snake_case_and_drops_raw_scripts():
    article = clean_markdown(
        "Setext title\n===\n\nThe snake_case_name stays.<script>x()</script>\n"
    )

    assert article.title == "Setext title"
    assert article.text == "The snake_case_name stays."


# --- Bytes ----------------------------------------------------------------------------------

TEXT = "Caf\u00e9 \u201cquotes\u201d \u2014 na\u00efve r\u00e9sum\u00e9, 10 \u20ac."


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        b"\xef\xbb\xbf" + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with its BOM
        TEXT.encode("utf-16-be").join([b"\xfe\xff", b""]),
        TEXT.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "cp1252"],
)
def test_decode_bytes(data):
    assert decode_bytes(data) == TEXT


def test_decode_bytes_honours_a_declared_encoding():
    page = (
        '<html><head><meta charset="iso-8859-7"></head><body>\u0391\u03b8\u03ae\u03bd\u03b1</body>'
    )

    assert "\u0391\u03b8\u03ae\u03bd\u03b1" in decode_bytes(page.encode("iso-8859-7"))


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"%PDF-1.7\n" + bytes(range(0, 32)) * 20,
        b"Text then a NUL\x00",
    ],
    ids=["png", "controls", "nul"],
)
def test_decode_bytes_refuses_binary(data):
    with pytest.raises(CleaningError, match="file looks binary"):
        decode_bytes(data)


@pytest.mark.parametrize(
    "data",
    [
        "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440".encode("cp1251"),
        "\u65e5\u672c\u8a9e\u306e\u6587\u7ae0".encode("shift_jis"),
        b"caf\x81 undefined in cp1252",
    ],
    ids=["cp1251", "shift-jis", "cp1252-hole"],
)
def test_decode_bytes_refuses_unknown_encodings(data):
    with pytest.raises(CleaningError, match="not valid UTF-8 and no declared encoding"):
        decode_bytes(data)


def test_decode_bytes_refuses_empty_files():
    with pytest.raises(CleaningError, match="empty"):
        decode_bytes(b"  \n")


def test_cleaning_error_is_a_value_error():
    assert issubclass(CleaningError, ValueError)
