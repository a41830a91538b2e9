"""The worker's service: idempotent, never touches reviewed work, gives up a
result computed on text that has since changed, and fails a bad article with
a message."""

import pytest

from annotations.models import (
    Article,
    Claim,
    DeletedClaim,
    EvidenceLink,
    ExtractionRun,
    Source,
    Verdict,
)
from annotations.services.articles import article_import_text
from annotations.services.claims import claim_create_manual
from annotations.services.extraction import claims_extract, extraction_enqueue
from tests.factories import ArticleFactory

TEXT = (
    "The Biden administration said on Thursday that some 8,000 North Korean soldiers are "
    "now in Russia's Kursk region.\n\n"
    "It was a cold morning.\n\n"
    "President Vladimir Putin warned on Sept. 12 that Russia would be “at war” with the U.S. "
    "and NATO states if they approve them.\n\n"
    "North Korea tested a new ballistic missile on Thursday, reaching a record altitude of "
    "7,000 kilometres, officials said.\n\n"
    "Unemployment fell to 3.5 percent in October, the lowest rate since 1969, the ministry said."
)


@pytest.fixture
def article(project):
    return article_import_text(project=project, text=TEXT)


def _extract(article):
    run = extraction_enqueue(article=article)
    return claims_extract(article_id=article.pk, run_id=run.pk)


def _spans(article):
    return sorted(Claim.objects.filter(article=article).values_list("start", "end", "state"))


@pytest.mark.django_db
def test_extraction_writes_candidates_and_records_the_run(article):
    run = _extract(article)
    assert run.state == ExtractionRun.State.DONE
    assert run.extractor_version
    assert run.started_at <= run.finished_at
    assert run.sentences_scored >= 3
    claims = list(Claim.objects.filter(article=article))
    assert run.candidates_created == len(claims) >= 3
    quotes = " ".join(c.quote for c in claims)
    assert "8,000 North Korean soldiers" in quotes
    assert "It was a cold morning." not in quotes
    for claim in claims:
        assert article.canonical_text[claim.start : claim.end] == claim.quote
        assert claim.prefix == article.canonical_text[max(0, claim.start - 32) : claim.start]
        assert claim.reasons and 0 <= claim.score <= 1
        assert claim.extraction_run == run
    troops = next(c for c in claims if "8,000" in c.quote)
    assert troops.claim_type == "quantity"
    assert "Biden administration" in troops.claimant
    article.refresh_from_db()
    assert article.extraction_state == "done"


@pytest.mark.django_db
def test_running_twice_changes_nothing(article):
    _extract(article)
    first = sorted(Claim.objects.filter(article=article).values_list("pk", "start", "end"))
    second_run = _extract(article)
    assert sorted(Claim.objects.filter(article=article).values_list("pk", "start", "end")) == first
    assert second_run.candidates_created == 0
    assert second_run.candidates_kept == len(first)


@pytest.mark.django_db
def test_a_redelivered_finished_run_does_nothing(article):
    run = _extract(article)
    before = _spans(article)
    assert claims_extract(article_id=article.pk, run_id=run.pk) is None
    assert _spans(article) == before
    run.refresh_from_db()
    assert run.attempts == 1


@pytest.mark.django_db
def test_a_run_interrupted_mid_way_is_redone(article):
    """acks_late redelivers a killed worker's task: the run is still RUNNING."""
    run = extraction_enqueue(article=article)
    ExtractionRun.objects.filter(pk=run.pk).update(state="running")
    claims_extract(article_id=article.pk, run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.attempts) == ("done", 1)
    assert Claim.objects.filter(article=article).count() == run.candidates_created


@pytest.mark.django_db
def test_rerun_never_touches_reviewed_work(article, project, alice, bob, settings):
    _extract(article)
    claims = list(Claim.objects.filter(article=article).order_by("start"))
    assert len(claims) >= 4
    accepted, dismissed, judged = claims[0], claims[1], claims[2]
    Claim.objects.filter(pk=accepted.pk).update(state="accepted", version=2)
    Claim.objects.filter(pk=dismissed.pk).update(state="dismissed", version=2)
    Verdict.objects.create(
        claim=judged, reviewer=bob, label=project.verdict_labels.get(slug="disputed")
    )
    source = Source.objects.create(project=project, url="https://example.org/report")
    EvidenceLink.objects.create(claim=judged, stance="disputes", source=source)
    manual = claim_create_manual(
        article=article, start=0, end=23, quote=article.canonical_text[:23], user=alice
    )
    snapshot = {
        c.pk: (c.state, c.score, c.version, c.claimant)
        for c in Claim.objects.filter(article=article)
    }
    uuids = dict(Claim.objects.filter(article=article).values_list("pk", "uuid"))

    # A threshold of 1 drops every candidate - but not reviewed ones.
    project.candidate_threshold = 1.0
    project.save()
    article.refresh_from_db()
    run = _extract(article)

    after = {
        c.pk: (c.state, c.score, c.version, c.claimant)
        for c in Claim.objects.filter(article=article)
    }
    for pk in (accepted.pk, dismissed.pk, judged.pk, manual.pk):
        assert after[pk] == snapshot[pk]
    assert judged.verdicts.count() == 1 and judged.evidence.count() == 1
    reviewed = {accepted.pk, dismissed.pk, judged.pk, manual.pk}
    untouched_after = [v for pk, v in after.items() if pk not in reviewed]
    assert all(score >= 1.0 for _, score, _, _ in untouched_after)
    assert run.candidates_removed == (len(snapshot) - len(reviewed)) - len(untouched_after)
    assert run.candidates_removed > 0
    # Each removed candidate is remembered, for consumers of incremental exports.
    gone = {uuids[pk] for pk in snapshot.keys() - after.keys()}
    assert set(DeletedClaim.objects.filter(project=project).values_list("uuid", flat=True)) == gone


@pytest.mark.django_db
def test_text_changed_during_the_run_discards_the_result_and_requeues(
    article, monkeypatch, sent_tasks, django_capture_on_commit_callbacks
):
    from annotations.extraction import pipeline

    real = pipeline.extract_candidates

    def edit_while_running(text, **kwargs):
        result = real(text, **kwargs)
        new = "Completely different text: 12 ships sank in 2023."
        Article.objects.filter(pk=article.pk).update(
            canonical_text=new, content_hash=Article.hash_text(new)
        )
        return result

    monkeypatch.setattr(pipeline, "extract_candidates", edit_while_running)
    run = extraction_enqueue(article=article)
    with django_capture_on_commit_callbacks(execute=True):
        result = claims_extract(article_id=article.pk, run_id=run.pk)
    assert result.state == ExtractionRun.State.QUEUED
    assert not Claim.objects.filter(article=article).exists()
    assert sent_tasks[-1] == ((article.pk, run.pk), {})


@pytest.mark.django_db
def test_a_bad_article_fails_its_run_and_the_next_one_runs(project, monkeypatch):
    from annotations.extraction import pipeline

    bad = ArticleFactory(project=project, canonical_text="A text the extractor chokes on.")
    good = article_import_text(project=project, text=TEXT)
    real = pipeline.extract_candidates

    def explode_on_bad(text, **kwargs):
        if "chokes" in text:
            raise ValueError("sentence splitter ran out of patience")
        return real(text, **kwargs)

    monkeypatch.setattr(pipeline, "extract_candidates", explode_on_bad)
    bad_run = _extract(bad)
    good_run = _extract(good)
    assert bad_run.state == "failed"
    assert bad_run.error == "ValueError: sentence splitter ran out of patience"
    bad.refresh_from_db()
    assert bad.extraction_state == "failed"
    assert good_run.state == "done"


@pytest.mark.django_db
def test_deleted_article_is_skipped(article):
    run = extraction_enqueue(article=article)
    pk = article.pk
    article.delete()
    assert claims_extract(article_id=pk, run_id=run.pk) is None


@pytest.mark.django_db
def test_enqueue_reuses_a_waiting_run(article, sent_tasks, django_capture_on_commit_callbacks):
    first = article.extraction_runs.get()
    with django_capture_on_commit_callbacks(execute=True):
        again = extraction_enqueue(article=article)
    assert again == first
    assert sent_tasks == []


@pytest.mark.django_db
def test_article_state_follows_its_newest_run(article):
    """An interrupted run redelivered after a newer run was queued must not
    make the article look finished while the newer run still waits."""
    old = article.extraction_runs.get()
    ExtractionRun.objects.filter(pk=old.pk).update(state="running")  # its worker died
    newer = extraction_enqueue(article=article)
    assert newer != old
    claims_extract(article_id=article.pk, run_id=old.pk)  # the redelivery finishes
    article.refresh_from_db()
    assert article.extraction_state == "queued"
    claims_extract(article_id=article.pk, run_id=newer.pk)
    article.refresh_from_db()
    assert article.extraction_state == "done"


@pytest.mark.django_db
def test_inline_extraction_does_the_waiting_run(article):
    from annotations.services.extraction import extraction_run_inline

    waiting = article.extraction_runs.get()
    run = extraction_run_inline(article=article)
    assert run.pk == waiting.pk
    assert run.state == "done"
    # The worker's copy of the message then finds nothing to do.
    assert claims_extract(article_id=article.pk, run_id=waiting.pk) is None
    article.refresh_from_db()
    assert article.extraction_state == "done"


@pytest.mark.django_db
def test_claims_in_a_rejected_match_survive_re_extraction(article, project, alice):
    from annotations.models import ClaimMatch

    _extract(article)
    other = article_import_text(
        project=project, text="Officials said 8,000 North Korean soldiers are in Kursk."
    )
    _extract(other)
    left, right = sorted(
        [
            Claim.objects.filter(article=article).first(),
            Claim.objects.filter(article=other).first(),
        ],
        key=lambda c: c.pk,
    )
    ClaimMatch.objects.create(left=left, right=right, score=0.5, state="rejected")
    project.candidate_threshold = 1.0  # would remove every untouched candidate
    project.save()
    _extract(article)
    _extract(other)
    assert Claim.objects.filter(pk__in=[left.pk, right.pk]).count() == 2
    assert ClaimMatch.objects.filter(state="rejected").count() == 1
