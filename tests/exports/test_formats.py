"""Each export format against its specification, on real data."""

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations import exports
from annotations.exports.claimreview import short_claim
from annotations.exports.formats import CSV_COLUMNS, csv_line, safe_cells
from annotations.exports.records import ExportScope, claim_records, claims_for_export
from annotations.models import Article, Claim, Project
from annotations.services.claims import claim_update
from tests import factories

pytestmark = pytest.mark.django_db

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CHECKER = SHARED / "conformance" / "check_exports.py"
PUBLISHER = exports.Publisher(base_url="https://factcheck.example.org", name="Desk checks")


def _export(fmt, project, **kwargs) -> bytes:
    scope = ExportScope(claims=claims_for_export(project=project), **kwargs)
    return b"".join(
        exports.export_chunks(fmt, scope, PUBLISHER, collection_id="https://f.example/c")
    )


def test_jsonl_record_says_where_everything_came_from(reviewed_claim, project):
    lines = _export("jsonl", project).decode().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    claim = reviewed_claim
    assert record["uuid"] == str(claim.uuid)
    assert record["quote"] == claim.quote and (record["start"], record["end"]) == (0, claim.end)
    assert record["article"]["uuid"] == str(claim.article.uuid)
    assert record["article"]["url"] == "https://news.example.com/fire"
    assert [v["reviewer"] for v in record["verdicts"]] == ["alice"]
    assert record["verdicts"][0]["rationale"] == "Fire service figure."
    assert record["final_verdict"]["verdict"] == "supported"
    assert record["final_verdict"]["decided_by"] == "editor"
    assert record["final_verdict"]["editor"] == "carol"
    kinds = sorted(link["kind"] for link in record["evidence"])
    assert kinds == ["article", "source"]
    source = next(link for link in record["evidence"] if link["kind"] == "source")
    assert source["target"]["url"] == "https://fire.example.org/report"
    assert source["created_by"] == "alice" and source["created_at"].endswith("Z")
    provenance = record["provenance"]
    assert provenance["origin"] == "extracted" and provenance["score"] == 0.9
    assert provenance["created_at"].endswith("Z") and provenance["updated_at"].endswith("Z")


def test_json_is_one_array(reviewed_claim, project):
    factories.ClaimFactory(article=factories.ArticleFactory(project=project))
    data = json.loads(_export("json", project))
    assert len(data) == 2 and {r["uuid"] for r in data} >= {str(reviewed_claim.uuid)}
    empty = Project.objects.create(slug="empty", name="Empty")
    assert json.loads(_export("json", empty)) == []


def test_csv_opens_in_a_spreadsheet(project, alice):
    article = factories.ArticleFactory(
        project=project, canonical_text='=HYPERLINK("http://evil") and +1 -2 @x. Fine.'
    )
    claim = factories.ClaimFactory(article=article)
    claim_update(
        claim=claim, user=alice, expected_version=1, claimant="@mayor", normalized_text="-5"
    )
    scope = ExportScope(claims=claims_for_export(project=project))
    raw = b"".join(exports.export_chunks("csv", scope, PUBLISHER, bom=True))
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["quote"].startswith("'=HYPERLINK")
    assert rows[0]["claimant"] == "'@mayor" and rows[0]["normalized_text"] == "'-5"
    assert rows[0]["start"] == "0"  # numbers are not escaped
    assert safe_cells(["+1", "-1", "", "0.5", "a=b", "@x"]) == [
        "'+1",
        "'-1",
        "",
        "0.5",
        "a=b",
        "'@x",
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(),
            st.sampled_from(['"', ",", "\r\n", "\n", "a,b", '""', " ", "=1", "a,=b", "\t@"]),
        ),
        min_size=1,
        max_size=len(CSV_COLUMNS),
    )
)
def test_csv_rows_are_written_as_the_csv_module_writes_them(cells):
    """Cells made safe and written as the csv module writes them, without
    it (what its rows cost it is most of what a CSV export costs)."""
    theirs = io.StringIO()
    csv.writer(theirs).writerow(safe_cells(cells))
    assert csv_line(cells) == theirs.getvalue()
    read = next(csv.reader(io.StringIO(csv_line(cells), newline="")))
    assert read == safe_cells(cells)


def test_csv_joins_evidence_urls(reviewed_claim, project):
    rows = list(csv.DictReader(io.StringIO(_export("csv", project).decode())))
    assert rows[0][
        "evidence_urls"
    ] == "https://fire.example.org/report https://news.example.com/" or (
        "https://fire.example.org/report" in rows[0]["evidence_urls"]
    )
    assert rows[0]["final_verdict"] == "supported" and rows[0]["verdicts"] == "alice: supported"


def test_claimreview_has_googles_required_properties(reviewed_claim, project):
    factories.ClaimFactory(article=factories.ArticleFactory(project=project))  # no verdict
    items = json.loads(_export("claimreview", project))
    assert len(items) == 1
    review = items[0]
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    path = reverse("claim_detail", kwargs={"slug": project.slug, "pk": reviewed_claim.pk})
    assert review["url"] == "https://factcheck.example.org" + path
    assert review["claimReviewed"] == reviewed_claim.quote
    rating = review["reviewRating"]
    assert rating == {
        "@type": "Rating",
        "ratingValue": 5,
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": "Supported",
        "name": "Supported",
    }
    item = review["itemReviewed"]
    assert item["@type"] == "Claim" and item["text"] == reviewed_claim.quote  # never cut
    assert item["appearance"][0]["url"] == "https://news.example.com/fire"
    assert item["firstAppearance"]["url"] == "https://news.example.com/fire"
    assert item["author"]["@type"] in ("Person", "Organization")


def test_short_claim():
    assert short_claim("Short.") == "Short."
    long = "word " * 40
    assert len(short_claim(long)) < 75 and short_claim(long).endswith("…")


def test_webannotation_collection(reviewed_claim, project):
    doc = json.loads(_export("webannotation", project))
    assert doc["type"] == "AnnotationCollection" and doc["total"] == 1
    annotation = doc["first"]["items"][0]
    assert annotation["id"] == f"urn:uuid:{reviewed_claim.uuid}"
    assert annotation["motivation"] == "assessing"
    selectors = {s["type"]: s for s in annotation["target"]["selector"]}
    assert selectors["TextQuoteSelector"]["exact"] == reviewed_claim.quote
    assert selectors["TextPositionSelector"] == {
        "type": "TextPositionSelector",
        "start": reviewed_claim.start,
        "end": reviewed_claim.end,
    }
    purposes = sorted(body["purpose"] for body in annotation["body"])
    assert purposes == ["assessing", "classifying", "commenting", "linking", "linking", "tagging"]
    assert annotation["created"].endswith("Z") and annotation["modified"].endswith("Z")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_query_count_does_not_grow_with_rows(project, alice, fmt):
    from annotations.services.claims import verdict_set

    def queries(n):
        for _ in range(n):
            claim = factories.ClaimFactory(article=factories.ArticleFactory(project=project))
            verdict_set(claim=claim, reviewer=alice, label="supported")
        with CaptureQueriesContext(connection) as captured:
            _export(fmt, project)
        return len(captured)

    # One page: its claims, their verdicts, evidence and matches, and the
    # articles, users and labels these point to.
    assert queries(3) == queries(20) == 7


def test_pages_are_chunked(project):
    for _ in range(5):
        factories.ClaimFactory(article=factories.ArticleFactory(project=project))
    scope = ExportScope(claims=claims_for_export(project=project), chunk_size=2)
    chunks = list(exports.export_chunks("jsonl", scope, PUBLISHER))
    assert [c.count(b"\n") for c in chunks] == [2, 2, 1]


def test_incremental_export_misses_nothing(project, alice):
    claims = [
        factories.ClaimFactory(article=factories.ArticleFactory(project=project)) for _ in range(4)
    ]
    started = timezone.now()
    scope = ExportScope(claims=claims_for_export(project=project), chunk_size=2)
    seen = []
    for i, chunk in enumerate(exports.export_chunks("jsonl", scope, PUBLISHER)):
        seen += [json.loads(line)["uuid"] for line in chunk.splitlines()]
        if i == 0:
            # Changes during the export: one claim already written, one not yet.
            claim_update(claim=claims[0], user=alice, expected_version=1, claimant="A")
            claim_update(claim=claims[3], user=alice, expected_version=1, claimant="B")
    assert len(seen) == 4
    watermark = started - timedelta(seconds=60)
    again = _export("jsonl", project, updated_after=watermark).decode().splitlines()
    changed = {json.loads(line)["uuid"]: json.loads(line)["claimant"] for line in again}
    assert changed[str(claims[0].uuid)] == "A" and changed[str(claims[3].uuid)] == "B"
    Claim.objects.update(updated_at=started - timedelta(hours=1))
    Article.objects.update(updated_at=started - timedelta(hours=1))
    assert _export("jsonl", project, updated_after=watermark) == b""


def _load_demo():
    out = StringIO()
    call_command("load_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_conformance_checker_passes_on_the_demo_exports(tmp_path, sent_tasks):
    """The real demo project (load_demo extracts inline and adds finished
    reviews), exported in both JSON-LD formats, checked by the shared
    checker against the W3C suite and Google's ClaimReview requirements."""
    assert CHECKER.exists(), f"the conformance checker is expected at {CHECKER}"
    assert "Demo reviews: 4 claims reviewed" in _load_demo()
    files = []
    for fmt in ("webannotation", "claimreview"):
        path = tmp_path / f"demo-{fmt}.json"
        call_command(
            "export_claims",
            "--format",
            fmt,
            "--project",
            "demo",
            "-o",
            str(path),
            "--base-url",
            "https://factcheck.example.org",
            stderr=StringIO(),
        )
        files.append(str(path))
    items = json.loads(Path(files[1]).read_text())
    assert len(items) == 4
    result = subprocess.run(
        [sys.executable, str(CHECKER), "--strict", *files], capture_output=True, text=True
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-3000:]
    assert "claimreview: 4/4 valid" in summary
    assert "collection/page valid" in summary and "FAIL" not in result.stdout


def test_publisher_urls_are_the_reversed_ones(reviewed_claim, project):
    """The paths are reversed once per export and filled in per record."""
    other = factories.ClaimFactory(article=factories.ArticleFactory(project=project))
    scope = ExportScope(claims=claims_for_export(project=project))
    publisher = exports.Publisher(base_url="https://f.example", name="Desk")
    for record in (r for page in claim_records(scope) for r in page):
        claim = reverse("claim_detail", kwargs={"slug": project.slug, "pk": record.id})
        article = reverse("article_detail", kwargs={"slug": project.slug, "pk": record.article.id})
        assert publisher.claim_url(record) == "https://f.example" + claim
        assert publisher.article_url(record) == "https://f.example" + article
    assert {record.id for page in claim_records(scope) for record in page} == {
        reviewed_claim.pk,
        other.pk,
    }


def test_incremental_export_sees_every_change_a_record_shows(project, alice):
    """What a record shows beyond the claim, its verdicts and its evidence:
    its article, what its evidence cites, its matches and the other claims'
    articles. Each change brings back the claims whose records show it."""
    from annotations.models import ClaimMatch, EvidenceLink, Source

    def claim():
        return factories.ClaimFactory(article=factories.ArticleFactory(project=project))

    plain, cites_source, cites_article, matched, partner = (claim() for _ in range(5))
    source = Source.objects.create(project=project, url="https://stats.example.org/r")
    EvidenceLink.objects.create(claim=cites_source, source=source, stance="supports")
    cited = factories.ArticleFactory(project=project)
    EvidenceLink.objects.create(claim=cites_article, target_article=cited, stance="disputes")
    left, right = sorted([matched, partner], key=lambda c: c.pk)
    match = ClaimMatch.objects.create(left=left, right=right, score=0.9)
    past = timezone.now() - timedelta(hours=2)
    for model in (Article, Claim, Source, EvidenceLink, ClaimMatch):
        model.objects.update(updated_at=past)
    watermark = timezone.now() - timedelta(minutes=1)

    def changed() -> set[int]:
        lines = _export("jsonl", project, updated_after=watermark).decode().splitlines()
        return {json.loads(line)["id"] for line in lines}

    assert changed() == set()
    Article.objects.filter(pk=plain.article_id).update(title="Corrected", updated_at=timezone.now())
    assert changed() == {plain.pk}
    Source.objects.filter(pk=source.pk).update(title="Report", updated_at=timezone.now())
    assert changed() == {plain.pk, cites_source.pk}
    Article.objects.filter(pk=cited.pk).update(title="Cited", updated_at=timezone.now())
    assert changed() == {plain.pk, cites_source.pk, cites_article.pk}
    Article.objects.update(updated_at=past)
    Source.objects.update(updated_at=past)
    ClaimMatch.objects.filter(pk=match.pk).update(state="rejected", updated_at=timezone.now())
    assert changed() == {matched.pk, partner.pk}
    ClaimMatch.objects.update(updated_at=past)
    Article.objects.filter(pk=partner.article_id).update(updated_at=timezone.now())
    assert changed() == {matched.pk, partner.pk}  # the partner's own article, and the match's
    Article.objects.update(updated_at=past)
    assert changed() == set()
