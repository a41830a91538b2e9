"""Every import path, with good and bad input. The two real articles of the
shared corpus are the acceptance test for cleaning."""

import json

import pytest

from annotations.models import Article, ExtractionRun, ImportSource, InputFormat
from annotations.services.articles import (
    ImportRejected,
    Metadata,
    article_import_bulk,
    article_import_file,
    article_import_text,
    article_import_url,
)

FURNITURE = [
    "Skip to content",
    "GIFT a Subscription",
    "Photo Credit",
    "Getty Images",
    "Editors' Picks",
    "Comments",
    "This audio is created with AI assistance",
    "Authors:",
    "min read",
    "Russia and North Korea sign partnership deal, vowing closer ties",
    "China, Russia discuss Ukraine as West slams North Korean troops",
    "Russia helping North Korea with sanctions evasion",
    "The Kyiv IndependentMartin Fornusek",
]


@pytest.mark.django_db
def test_real_articles_import_clean(
    project, alice, corpus_files, django_capture_on_commit_callbacks, sent_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        articles = [
            article_import_file(project=project, filename=f.name, data=f.read_bytes(), user=alice)
            for f in corpus_files
        ]
    kyiv = next(a for a in articles if "Kyiv" in a.outlet)
    hindu = next(a for a in articles if a.outlet == "The Hindu")
    for article in articles:
        assert article.input_format == InputFormat.SCRAPED
        assert article.import_source == ImportSource.UPLOAD
        for furniture in FURNITURE:
            assert furniture not in article.canonical_text, (article.outlet, furniture)
    assert str(kyiv.published_date) == "2024-11-01"
    assert str(hindu.published_date) == "2024-11-02"
    assert kyiv.title == "World 'merely watching' as North Korea threat grows, Zelensky warns"
    assert hindu.title.startswith("Ukraine’s Zelenskyy urges allies")
    assert "Abbey Fenbert" in kyiv.author
    assert hindu.author in {"AP", "Associated Press"}
    # Every paragraph of the stories is there, verbatim.
    for paragraph in (
        "8,000 North Korean troops are amassed in Kursk Oblast",
        "America is watching, Britain is watching, and Germany is watching.",
        "urging Beijing to prove its commitment to ending the war.",
    ):
        assert paragraph in kyiv.canonical_text
    for paragraph in (
        "some 8,000 North Korean soldiers are now in Russia’s Kursk region",
        "America is watching, Britain is watching, Germany is watching.",
        "Choe Son Hui met with her Russian counterpart",
        "President Vladimir Putin warned on Sept. 12",
    ):
        assert paragraph in hindu.canonical_text
    assert kyiv.canonical_text.count("\n\n") == 10
    assert hindu.canonical_text.count("\n\n") == 7
    # Stored once, as received, with extraction queued after the commit.
    assert corpus_files[0].read_text() in {a.original_input for a in articles}
    assert len(sent_tasks) == 2
    assert ExtractionRun.objects.filter(state="queued").count() == 2


@pytest.mark.django_db
def test_pasted_text_is_normalised_to_nfc(project, alice):
    article = article_import_text(
        project=project,
        text="  Cafe\u0301 owners said 8,000 people came.\r\n\r\n\r\nIt was a record.  ",
        user=alice,
        metadata=Metadata(title="Café", outlet="Local"),
    )
    assert article.canonical_text == "Café owners said 8,000 people came.\n\nIt was a record."
    assert article.input_format == InputFormat.TEXT
    assert (article.title, article.outlet, article.imported_by) == ("Café", "Local", alice)


@pytest.mark.django_db
def test_import_enqueues_extraction_only_after_commit(
    project, django_capture_on_commit_callbacks, sent_tasks
):
    with django_capture_on_commit_callbacks() as callbacks:
        article = article_import_text(project=project, text="One fact: 3 ships sank.")
        assert sent_tasks == []
    assert len(callbacks) == 1
    callbacks[0]()
    run = article.extraction_runs.get()
    assert sent_tasks == [((article.pk, run.pk), {})]


@pytest.mark.django_db
def test_same_text_or_url_is_a_duplicate_naming_the_article(project):
    first = article_import_text(
        project=project,
        text="Ships sank.",
        metadata=Metadata(title="First", url="https://a.example/x"),
    )
    with pytest.raises(ImportRejected) as exc:
        article_import_text(project=project, text="Ships sank.")
    assert exc.value.existing == first
    assert "“First”" in exc.value.message
    with pytest.raises(ImportRejected, match="this URL is already in the project"):
        article_import_text(
            project=project, text="Other text.", metadata=Metadata(url="https://a.example/x")
        )
    assert Article.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"   \n\n  ", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        ("cyrillic.txt", "Русский текст, не UTF-8. ".encode("cp1251") * 40, "not valid UTF-8"),
        ("report.pdf", b"%PDF-1.4", "unsupported file type"),
        ("huge.txt", b"a" * 5_000_001, "too large"),
    ],
)
def test_bad_files_are_refused_with_a_message(project, filename, data, message):
    with pytest.raises(ImportRejected, match=message):
        article_import_file(project=project, filename=filename, data=data)
    assert not Article.objects.exists()
    assert not ExtractionRun.objects.exists()


@pytest.mark.django_db
def test_html_file_keeps_the_story_and_drops_scripts(project):
    html = b"""<html><head><title>Dam report</title><script>alert('x')</script></head>
    <body><nav>Home | News | Subscribe</nav><article><h1>Dam report</h1>
    <p>The dam released 4,000 cubic metres of water per second on Monday, the agency said.</p>
    <p onmouseover="steal()">Officials said 12 villages were evacuated as a precaution.</p>
    <img src=x onerror="alert(1)"><a href="javascript:alert(1)">click</a></article></body></html>"""
    article = article_import_file(project=project, filename="dam.html", data=html)
    assert article.input_format == InputFormat.HTML
    assert "4,000 cubic metres" in article.canonical_text
    assert "12 villages" in article.canonical_text
    for hostile in ("alert", "steal", "javascript", "<", "Subscribe"):
        assert hostile not in article.canonical_text


@pytest.mark.django_db
def test_markdown_file(project):
    md = (
        b"# Flood update\n\n"
        b"The river rose **2 metres** overnight, [officials](https://x.example) said.\n"
    )
    article = article_import_file(project=project, filename="flood.md", data=md)
    assert article.title == "Flood update"
    assert article.canonical_text == "The river rose 2 metres overnight, officials said."


@pytest.mark.django_db
def test_bulk_imports_good_rows_and_reports_bad_ones_by_line(project, alice):
    lines = [
        {"title": "One", "text": "The council approved 3 new schools.", "published": "2024-11-01"},
        {"title": "Two", "html": "<p>Rain fell for 40 days, the service said.</p>", "outlet": "X"},
        "{not json",
        {"title": "Dup", "text": "The council approved 3 new schools."},
        {"title": "Bad date", "text": "Something else happened.", "published": "yesterday"},
        {"title": "Extra", "text": "More.", "colour": "red"},
        {"title": "No text"},
    ]
    data = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    result = article_import_bulk(
        project=project, filename="batch.jsonl", data=data.encode(), user=alice
    )
    assert [r.line for r in result.imported] == [1, 2]
    assert [r.line for r in result.duplicates] == [4]
    assert "“One”" in result.duplicates[0].message
    rejected = {r.line: r.message for r in result.rejected}
    assert set(rejected) == {3, 5, 6, 7}
    assert "not valid JSON" in rejected[3]
    assert "not a date" in rejected[5]
    assert "unknown key 'colour'" in rejected[6]
    assert "neither text nor html" in rejected[7]
    assert result.summary == "2 imported, 1 duplicates, 4 rejected"
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_bulk_csv_with_unknown_column_imports_nothing(project):
    data = b"title,text,colour\nA,Some text.,red\n"
    result = article_import_bulk(project=project, filename="batch.csv", data=data)
    assert result.imported == []
    assert "unknown column 'colour'" in result.rejected[0].message
    assert result.rejected[0].line == 1


@pytest.mark.django_db
def test_bulk_csv_quoted_newlines_keep_line_numbers(project):
    data = b'title,text\nA,"First para.\n\nSecond para."\nB,\n'
    result = article_import_bulk(project=project, filename="batch.csv", data=data)
    assert [r.line for r in result.imported] == [2]
    assert [r.line for r in result.rejected] == [5]
    assert result.imported[0].article.canonical_text == "First para.\n\nSecond para."


@pytest.mark.django_db
def test_bulk_refuses_other_file_types(project):
    with pytest.raises(ImportRejected, match="unsupported bulk file type"):
        article_import_bulk(project=project, filename="batch.xlsx", data=b"PK")


@pytest.mark.django_db
def test_url_import_from_a_trusted_local_host(project, settings, local_site):
    settings.FACTCHECK_TRUSTED_FETCH_HOSTS = [local_site]
    url = f"http://{local_site}/story"
    article = article_import_url(project=project, url=url)
    assert article.url == url
    assert article.import_source == ImportSource.URL
    assert "20,000 cars a day" in article.canonical_text
    with pytest.raises(ImportRejected, match="this URL is already"):
        article_import_url(project=project, url=url)
    with pytest.raises(ImportRejected, match="HTTP 404"):
        article_import_url(project=project, url=f"http://{local_site}/missing")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
    ],
)
def test_url_import_refuses_private_addresses(project, settings, url):
    settings.FACTCHECK_TRUSTED_FETCH_HOSTS = []
    with pytest.raises(ImportRejected, match="could not fetch"):
        article_import_url(project=project, url=url)
    assert not Article.objects.exists()
