import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from annotations.models import Article, ImportSource, Project, Role


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_articles_creates_the_project_and_imports_the_corpus(corpus_files, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "ok", "text": "Three ships sank on Monday."}\n{oops\n')
    out, err = _run("import_articles", "--project", "kursk", "--no-progress", *corpus_files, bad)
    assert "Created project 'kursk'." in out
    assert "3 imported, 0 duplicates, 1 rejected." in out
    assert "bad.jsonl:2:" in err and "not valid JSON" in err
    project = Project.objects.get(slug="kursk")
    assert project.articles.count() == 3
    assert set(project.articles.values_list("import_source", flat=True)) == {ImportSource.COMMAND}

    out, _ = _run("import_articles", "--project", "kursk", "--no-progress", *corpus_files)
    assert "Created project" not in out
    assert "0 imported, 2 duplicates, 0 rejected." in out
    assert "already in the project" in out


@pytest.mark.django_db
def test_import_articles_reports_rejected_files(tmp_path):
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    out, err = _run("import_articles", "--project", "p", "--no-progress", binary)
    assert "0 imported, 0 duplicates, 1 rejected." in out
    assert "photo.txt" in err and "binary" in err


def test_import_articles_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _run("import_articles", "--project", "p", str(tmp_path / "nope.txt"))


@pytest.mark.django_db
def test_load_demo_is_repeatable_and_prints_logins(sent_tasks):
    out, _ = _run("load_demo")
    assert "4 articles imported" in out
    assert "demo-reviewer / factcheck-reviewer" in out
    assert "demo-editor / factcheck-editor" in out
    project = Project.objects.get(slug="demo")
    assert project.articles.count() == 4
    outlets = set(project.articles.values_list("outlet", flat=True))
    assert len(outlets) == 4
    # The outlets disagree on one number: evacuated residents.
    texts = " ".join(project.articles.values_list("canonical_text", flat=True))
    assert "1,200 residents" in texts and "4,000 residents" in texts
    User = get_user_model()
    reviewer = User.objects.get(username="demo-reviewer")
    assert reviewer.check_password("factcheck-reviewer")
    assert project.memberships.get(user=reviewer).role == Role.REVIEWER
    assert project.memberships.get(user__username="demo-editor").role == Role.EDITOR

    out, _ = _run("load_demo")
    assert "0 articles imported, 4 already there" in out
    assert Article.objects.count() == 4


def test_demo_file_is_valid_jsonl():
    from annotations.management.commands.load_demo import DEMO_FILE

    rows = [json.loads(line) for line in DEMO_FILE.read_text().splitlines()]
    assert len(rows) == 4


@pytest.mark.django_db
def test_load_demo_adds_finished_reviews_once(sent_tasks):
    from annotations.models import Claim, EvidenceLink, Verdict

    out, _ = _run("load_demo")
    assert "Demo reviews: 4 claims reviewed, 0 already there." in out
    assert "Second opinions: 5 verdicts given, 0 already there." in out
    reviewed = Claim.objects.filter(final_verdict__isnull=False)
    assert reviewed.count() == 4
    assert set(reviewed.values_list("final_verdict_by__username", flat=True)) == {"demo-editor"}
    assert Verdict.objects.exclude(rationale="").count() == 9
    assert EvidenceLink.objects.count() >= 4
    # A disagreement waits for the editor: judged twice, differently, no final verdict.
    waiting = Claim.objects.get(quote__startswith="Around 1,200 residents were evacuated")
    assert waiting.final_verdict is None
    assert set(waiting.verdicts.values_list("label__slug", flat=True)) == {"supported", "disputed"}
    out, _ = _run("load_demo")
    assert "Demo reviews: 0 claims reviewed, 4 already there." in out
    assert "Second opinions: 0 verdicts given, 5 already there." in out
    assert Verdict.objects.count() == 9


@pytest.mark.django_db
def test_export_claims_command(tmp_path, sent_tasks):
    _run("load_demo")
    target = tmp_path / "demo.jsonl"
    _, err = _run("export_claims", "--format", "jsonl", "--project", "demo", "-o", str(target))
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert records and all(r["project"] == "demo" for r in records)
    assert "Watermark for the next incremental export:" in err
    watermark = err.rsplit(": ", 1)[1].strip()
    # The watermark leaves a margin for transactions still open: what changed
    # in the minute before the export comes again; older rows do not.
    from datetime import timedelta

    from annotations.models import Article, Claim, ClaimMatch, EvidenceLink, Source, Verdict

    # Everything a record shows (exports.records.changed_since), made old.
    for model in (Article, Claim, ClaimMatch, EvidenceLink, Source, Verdict):
        model.objects.update(updated_at=timezone.now() - timedelta(hours=2))
    out, _ = _run(
        "export_claims", "--format", "jsonl", "--project", "demo", "--updated-after", watermark
    )
    assert out == ""  # nothing changed since
    out, _ = _run("export_claims", "--format", "csv", "--project", "demo", "--bom")
    assert out.startswith("\ufeffuuid,quote")
    with pytest.raises(CommandError, match="no project"):
        _run("export_claims", "--format", "csv", "--project", "nope")
    with pytest.raises(CommandError, match="ISO 8601"):
        _run("export_claims", "--format", "csv", "--project", "demo", "--updated-after", "soon")
