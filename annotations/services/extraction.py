"""Extraction runs: queue one, and do one (what the worker calls).

A run may be delivered twice (``acks_late`` redelivers a killed worker's
task), so doing a run is idempotent: it replaces only the extracted candidates
nobody has touched, keeps every span a reviewer decided, edited, judged or
linked, and gives up its result if the article's text changed meanwhile.
"""

import logging
import time

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from annotations.models import (
    Article,
    Claim,
    ClaimOrigin,
    ClaimState,
    ExtractionRun,
    ExtractionState,
)
from annotations.services.claims import claims_delete

logger = logging.getLogger(__name__)


def extraction_enqueue(*, article: Article, user=None) -> ExtractionRun:
    """Queue an extraction of ``article``; the task is sent once the current
    transaction commits. A run already waiting in the queue is reused."""
    from annotations import tasks  # tasks import services: keep the cycle lazy

    waiting = article.extraction_runs.filter(state=ExtractionRun.State.QUEUED).first()
    if waiting:
        return waiting
    run = ExtractionRun.objects.create(article=article, requested_by=user)
    Article.objects.filter(pk=article.pk).update(extraction_state=ExtractionState.QUEUED)
    article.extraction_state = ExtractionState.QUEUED
    transaction.on_commit(lambda: tasks.extract_claims.delay(article.pk, run.pk))
    return run


def extraction_requeue_interrupted() -> int:
    """Send again every run that is queued or running, when a worker starts.

    A worker killed mid-task leaves its run RUNNING; Redis redelivers the
    message only after the visibility timeout, and the filesystem broker of
    the embedded mode not at all. A queued run's message may have been lost
    with a restarted Redis. Sending a run twice is harmless: the second
    delivery finds it done and returns.
    """
    from annotations import tasks

    count = 0
    for article_id, run_id in ExtractionRun.objects.active().values_list("article_id", "pk"):
        tasks.extract_claims.delay(article_id, run_id)
        count += 1
    if count:
        logger.info("re-sent %d queued or interrupted extraction runs", count)
    return count


def extraction_run_inline(*, article: Article, user=None) -> ExtractionRun:
    """Extract in this process (commands, scripts), recorded like any run, and then
    do what follows extraction (matching) in this process too."""
    from annotations.services.matching import claims_match

    # A run already waiting in the queue is done here; the worker will then
    # find it finished and skip it.
    run = article.extraction_runs.filter(
        state=ExtractionRun.State.QUEUED
    ).first() or ExtractionRun.objects.create(article=article, requested_by=user)
    run = claims_extract(article_id=article.pk, run_id=run.pk, then_match=False) or run
    if run.state == ExtractionRun.State.DONE:
        claims_match(article_id=article.pk)
    return run


def claims_extract(
    *, article_id: int, run_id: int | None = None, then_match: bool = True
) -> ExtractionRun | None:
    """Do one extraction run. Returns the run, or None if the article is gone.
    A finished run queues the matching of the article's claims (``then_match``)."""
    article = Article.objects.select_related("project").filter(pk=article_id).first()
    if article is None:
        return None
    run = _run_to_do(article, run_id)
    if run is None:
        return None

    run.state = ExtractionRun.State.RUNNING
    run.started_at = timezone.now()
    run.attempts += 1
    run.error = ""
    with transaction.atomic():
        run.save(update_fields=["state", "started_at", "attempts", "error"])
        _sync_article_state(article.pk)

    text, digest = article.canonical_text, article.content_hash
    clock = time.perf_counter()
    try:
        # The slow part runs outside any transaction and holds no lock.
        from annotations.extraction.pipeline import extract_candidates
        from annotations.extraction.scoring import default_model

        model = default_model()
        threshold = article.project.candidate_threshold
        candidates = extract_candidates(text, threshold=threshold, model=model)
    except Exception as exc:
        logger.exception("extraction failed for article %s (%s)", article.pk, article)
        _finish(run, article, failed=f"{type(exc).__name__}: {exc}")
        return run
    elapsed = time.perf_counter() - clock

    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.content_hash != digest:
            # The text changed under us: this result points into old text.
            logger.info(
                "article %s changed during extraction; run %s re-queued", article.pk, run.pk
            )
            ExtractionRun.objects.filter(pk=run.pk).update(
                state=ExtractionRun.State.QUEUED, started_at=None
            )
            run.refresh_from_db()
            from annotations import tasks

            transaction.on_commit(lambda: tasks.extract_claims.delay(article.pk, run.pk))
            return run
        counts = _replace_candidates(locked, run, candidates, model.version)
        run.extractor_version = model.version
        run.content_hash = digest
        run.sentences_scored = counts["scored"]
        run.candidates_created = counts["created"]
        run.candidates_removed = counts["removed"]
        run.candidates_kept = counts["kept"]
        _finish(run, locked)
        if then_match:
            from annotations import tasks

            transaction.on_commit(lambda: tasks.match_claims.delay(article.pk))
    logger.info(
        "extracted article %s: %d candidates (%d new, %d removed) in %.3fs",
        article.pk,
        counts["created"] + counts["kept"],
        counts["created"],
        counts["removed"],
        elapsed,
    )
    return run


def _run_to_do(article: Article, run_id: int | None) -> ExtractionRun | None:
    if run_id is not None:
        run = ExtractionRun.objects.filter(pk=run_id, article=article).first()
        if run is None or run.state in (ExtractionRun.State.DONE, ExtractionRun.State.FAILED):
            # Already finished (a redelivered message), or deleted.
            return None
        return run
    return ExtractionRun.objects.create(article=article)


def _replace_candidates(article, run, candidates, version) -> dict:
    existing = {(c.start, c.end): c for c in Claim.objects.filter(article=article)}
    untouched = {
        (c.start, c.end): c for c in Claim.objects.filter(article=article).untouched_candidates()
    }
    wanted = {(c.start, c.end): c for c in candidates}

    stale = [c.pk for span, c in untouched.items() if span not in wanted]
    if stale:
        claims_delete(claims=Claim.objects.filter(pk__in=stale))

    new, kept = [], 0
    for span, cand in wanted.items():
        if span in untouched:
            kept += 1
            _refresh(untouched[span], cand, version, run)
        elif span in existing:
            kept += 1  # a reviewer owns this span already; leave it be
        else:
            new.append(
                Claim(
                    article=article,
                    start=cand.start,
                    end=cand.end,
                    quote=cand.quote,
                    prefix=article.canonical_text[max(0, cand.start - 32) : cand.start],
                    suffix=article.canonical_text[cand.end : cand.end + 32],
                    origin=ClaimOrigin.EXTRACTED,
                    score=cand.score,
                    extractor_version=version,
                    extraction_run=run,
                    reasons=list(cand.reasons),
                    claim_type=cand.claim_type,
                    claimant=cand.claimant[:300],
                    state=ClaimState.CANDIDATE,
                )
            )
    if new:
        bulk_create_with_history(new, Claim, batch_size=500)
    return {"scored": len(candidates), "created": len(new), "removed": len(stale), "kept": kept}


def _refresh(claim: Claim, cand, version: str, run: ExtractionRun) -> None:
    changed = (
        claim.score != cand.score
        or claim.reasons != list(cand.reasons)
        or claim.claim_type != cand.claim_type
        or claim.claimant != cand.claimant
        or claim.extractor_version != version
    )
    if changed:
        # Still version 1: the extractor's own update is not a reviewer's touch.
        Claim.objects.filter(pk=claim.pk).update(
            score=cand.score,
            reasons=list(cand.reasons),
            claim_type=cand.claim_type,
            claimant=cand.claimant[:300],
            extractor_version=version,
            extraction_run=run,
        )


def _finish(run: ExtractionRun, article: Article, failed: str = "") -> None:
    run.state = ExtractionRun.State.FAILED if failed else ExtractionRun.State.DONE
    run.error = failed[:2000]
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save()
        _sync_article_state(article.pk)


def _sync_article_state(article_id: int) -> None:
    """The article shows the state of its newest run: an older run finishing
    late (a redelivery, a run superseded by an inline one) does not make a
    finished article look busy again, nor a busy one look finished."""
    newest = (
        ExtractionRun.objects.filter(article_id=OuterRef("pk"))
        .order_by("-queued_at", "-id")
        .values("state")[:1]
    )
    Article.objects.filter(pk=article_id).update(extraction_state=Subquery(newest))
