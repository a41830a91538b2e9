"""Celery tasks: thin wrappers that look the object up and call a service.

Tasks are acknowledged late (a killed worker's task is redelivered), so each
one must be safe to run twice; the services make sure of that.
"""

from celery import shared_task
from celery.signals import worker_init, worker_ready
from django.db import InterfaceError, OperationalError

from annotations.services.evidence import source_fetch
from annotations.services.exports import export_job_run
from annotations.services.extraction import claims_extract, extraction_requeue_interrupted
from annotations.services.matching import claims_match

# Only errors that go away by themselves are retried; a bad article fails its
# run with a message instead (see claims_extract).
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError)

# Every task: acknowledged after it ran (a killed worker's task comes back),
# retried with backoff on transient errors only, and given time limits.
RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "max_retries": 6,
}


@shared_task(**RELIABLE, soft_time_limit=120, time_limit=150)
def extract_claims(article_id: int, run_id: int | None = None) -> None:
    claims_extract(article_id=article_id, run_id=run_id)


@shared_task(**RELIABLE, soft_time_limit=120, time_limit=150)
def match_claims(article_id: int) -> None:
    claims_match(article_id=article_id)


@shared_task(**RELIABLE, soft_time_limit=60, time_limit=90)
def fetch_source(source_id: int) -> None:
    source_fetch(source_id=source_id)


@shared_task(**(RELIABLE | {"max_retries": 3}), soft_time_limit=3600, time_limit=3700)
def run_export(job_id: int) -> None:
    export_job_run(job_id=job_id)


@worker_init.connect
def load_the_model(**kwargs) -> None:
    """Load the check-worthiness model in the worker's main process, before
    the pool forks: every child then starts with it, instead of spending a
    few seconds importing scikit-learn and reading the model on its first task."""
    from annotations.extraction import pipeline, scoring  # noqa: F401

    scoring.default_model()


@worker_ready.connect
def requeue_interrupted_runs(**kwargs) -> None:
    extraction_requeue_interrupted()
