"""End-to-end extraction throughput on PostgreSQL: in-process and through a Celery worker.

Run from the repository root (PostgreSQL and Redis must be running):

    .venv/bin/python benchmarks/bench_worker.py [--articles 200] [--concurrency 2]

The script owns a database (``factcheck_bench_worker`` on the server of ``DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432``) and Redis database 14; it drops and
recreates both on every run. It generates news-like articles from templates, imports them
with ``bulk_create``, then measures:

1. ``claims_extract`` called in this process, one article after another (one core), with
   the queries per article and a cProfile summary of where the time goes;
2. ``extract_claims`` enqueued for a second set of articles and run by a real
   ``celery worker --concurrency N`` process, timed until every ExtractionRun is done.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_DB = "factcheck_bench_worker"
BROKER = "redis://127.0.0.1:6379/14"


# --- articles -----------------------------------------------------------------------------

PEOPLE = [
    ("President", "Maria Alvarez"),
    ("Finance Minister", "Tomas Berg"),
    ("Senator", "James Whitfield"),
    ("Governor", "Aisha Okafor"),
    ("Mayor", "Lena Kowalski"),
    ("Defence Secretary", "Paul Hendricks"),
    ("central bank governor", "Kenji Sato"),
]
BODIES = [
    "the Ministry of Health",
    "the national statistics office",
    "the World Bank",
    "the International Energy Agency",
    "officials",
    "the Labour Department",
    "a UN report",
]
PLACES = ["Kharkiv", "Lagos", "Ohio", "Bavaria", "Manila", "Quebec", "Kursk", "Valencia"]
TOPICS = [
    ("unemployment", "percent"),
    ("inflation", "percent"),
    ("the budget deficit", "billion dollars"),
    ("housing starts", "thousand homes"),
    ("emergency admissions", "patients"),
    ("troop numbers", "soldiers"),
    ("solar capacity", "gigawatts"),
    ("child poverty", "percent"),
]
MONTHS = ["January", "March", "May", "July", "September", "November"]
CLAIM_TEMPLATES = [
    "{topic_cap} rose to {num} {unit} in {month} {year}, {body} said.",
    "According to {body}, {topic} fell by {num} {unit} over the past {small} years.",
    '"We have cut {topic} by {num} {unit} since {year}," {title} {name} said on {day}.',
    "{title} {name} claimed that {place} now spends {num} billion dollars a year on {topic}.",
    "{body_cap} reported that {topic} in {place} was the highest since {year}.",
    "The government spent ${num} million on the programme in {year}, up from ${small} million.",
    "{name} told reporters that more than {num},000 people had left {place} since {month}.",
    "{topic_cap} has doubled in {place} since {year}, according to {body}.",
    "The new law bans imports of {small} kinds of weapons and takes effect on {month} 1.",
    "{title} {name} said {topic} would fall below {small} {unit} by {year2}.",
]
FILLER_TEMPLATES = [
    "The announcement came after a week of tense negotiations.",
    "Residents of {place} gathered in the main square on {day} evening.",
    "{name} did not respond to a request for comment.",
    "It is not clear what happens next.",
    "Critics say the plan goes too far, while supporters say it does not go far enough.",
    "The meeting is expected to continue on {day}.",
    "Many people we spoke to were worried about the winter.",
    "Read more: what the decision means for families.",
    "{title} {name} thanked volunteers for their work.",
    "We need to do better, {name} said.",
    "The debate will resume after the summer recess.",
    "Photographs showed long queues outside the offices in {place}.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _fill(template: str, rng: random.Random) -> str:
    title, name = rng.choice(PEOPLE)
    topic, unit = rng.choice(TOPICS)
    body = rng.choice(BODIES)
    year = rng.randint(1995, 2023)
    return template.format(
        title=title,
        name=name,
        topic=topic,
        topic_cap=topic[0].upper() + topic[1:],
        unit=unit,
        body=body,
        body_cap=body[0].upper() + body[1:],
        place=rng.choice(PLACES),
        month=rng.choice(MONTHS),
        day=rng.choice(DAYS),
        year=year,
        year2=year + rng.randint(2, 10),
        num=f"{rng.uniform(1, 95):.1f}" if rng.random() < 0.5 else str(rng.randint(2, 900)),
        small=rng.randint(2, 12),
    )


def make_article(rng: random.Random) -> tuple[str, str]:
    """A title and a body of 20-40 sentences in paragraphs of 2-5, about 40% claims."""
    sentences = []
    for _ in range(rng.randint(20, 40)):
        pool = CLAIM_TEMPLATES if rng.random() < 0.4 else FILLER_TEMPLATES
        sentences.append(_fill(rng.choice(pool), rng))
    paragraphs, i = [], 0
    while i < len(sentences):
        size = rng.randint(2, 5)
        paragraphs.append(" ".join(sentences[i : i + size]))
        i += size
    place = rng.choice(PLACES)
    return f"{rng.choice(TOPICS)[0].capitalize()} in {place}", "\n\n".join(paragraphs)


# --- setup --------------------------------------------------------------------------------


def bench_database_url() -> str:
    base = urlparse(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/x")
    if base.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit("bench_worker needs PostgreSQL: set DATABASE_URL to a postgres:// URL")
    return urlunparse(base._replace(path=f"/{BENCH_DB}"))


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER).flushdb()


def import_articles(project, count: int, rng: random.Random, label: str):
    from annotations.models import Article, ImportSource, InputFormat

    articles = []
    for i in range(count):
        title, text = make_article(rng)
        articles.append(
            Article(
                project=project,
                title=f"{label} {i}: {title}",
                outlet="Benchmark Gazette",
                original_input=text,
                canonical_text=text,
                content_hash=Article.hash_text(text),
                input_format=InputFormat.TEXT,
                import_source=ImportSource.PASTE,
            )
        )
    return Article.objects.bulk_create(articles, batch_size=500)


# --- measurements -------------------------------------------------------------------------


def measure_in_process(articles) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotations.extraction.pipeline import extract_candidates
    from annotations.extraction.scoring import default_model
    from annotations.models import ExtractionRun
    from annotations.services.extraction import claims_extract

    started = time.perf_counter()
    model = default_model()
    print(f"model {model.version} loaded in {time.perf_counter() - started:.2f} s")

    texts = [a.canonical_text for a in articles]
    started = time.perf_counter()
    for text in texts:
        extract_candidates(text, model=model)
    pure = time.perf_counter() - started
    print(f"extract_candidates alone (no database): {len(texts) / pure:,.1f} articles/s")

    half = len(articles) // 2
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for article in articles[:half]:
            claims_extract(article_id=article.pk)
    elapsed = time.perf_counter() - started
    print(
        f"claims_extract in-process, one core: {half / elapsed:,.1f} articles/s "
        f"({half} in {elapsed:.2f} s, {len(queries) / half:.1f} queries per article)"
    )

    profiler = cProfile.Profile()
    rest = articles[half:]
    started = time.perf_counter()
    profiler.enable()
    for article in rest:
        claims_extract(article_id=article.pk)
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"claims_extract under cProfile: {len(rest) / elapsed:,.1f} articles/s")
    print_profile(profiler)
    done = ExtractionRun.objects.filter(state=ExtractionRun.State.DONE).count()
    assert done == len(articles), f"{done} of {len(articles)} runs done"


def print_profile(profiler: cProfile.Profile) -> None:
    """Where the time goes, by the parts of claims_extract."""
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    buckets = {
        "extract_candidates (pipeline)": ("pipeline.py", "extract_candidates"),
        "  scoring (featurize + dot)": ("scoring.py", "margins"),
        "  reasons / top_features": ("scoring.py", "top_features"),
        "  analysis.reasons": ("analysis.py", "reasons"),
        "  split_sentences": ("sentences.py", "split_sentences"),
        "_replace_candidates (writes)": ("extraction.py", "_replace_candidates"),
        "  bulk_create_with_history": ("utils.py", "bulk_create_with_history"),
        "_finish": ("extraction.py", "_finish"),
        "database execute (all)": ("utils.py", "_execute"),
    }
    print(f"  profile: {total:.2f} s total")
    for label, (filename, function) in buckets.items():
        cumulative = sum(
            value[3]
            for (path, _line, name), value in stats.stats.items()
            if name == function and path.endswith(filename)
        )
        print(f"  {label:34s} {cumulative:6.2f} s  {100 * cumulative / total:5.1f}%")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("  top functions by own time:")
    for line in lines[start : start + 13]:
        print("   ", line[:150])


def measure_worker(project, articles, concurrency: int, env: dict) -> None:
    from django.db import transaction
    from django.db.models import Max, Min

    from annotations import tasks
    from annotations.models import Article, ExtractionRun
    from annotations.services.extraction import extraction_enqueue

    command = [
        str(ROOT / ".venv" / "bin" / "celery"),
        "-A",
        "factcheck",
        "worker",
        "--concurrency",
        str(concurrency),
        "-Q",
        "extraction",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"bench-{os.getpid()}@%h",
    ]
    worker = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_for_worker(tasks.extract_claims.app, worker)
        ids = [a.pk for a in articles]
        started = time.perf_counter()
        with transaction.atomic():
            for article in Article.objects.filter(pk__in=ids):
                extraction_enqueue(article=article)
        enqueued = time.perf_counter() - started
        runs = ExtractionRun.objects.filter(article_id__in=ids)
        while True:
            pending = runs.exclude(state__in=["done", "failed"]).count()
            if pending == 0:
                break
            if worker.poll() is not None:
                sys.exit(f"the worker exited with code {worker.returncode}")
            if time.perf_counter() - started > 600:
                sys.exit(f"timed out with {pending} runs pending")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        failed = runs.filter(state="failed").count()
        span = runs.aggregate(first=Min("started_at"), last=Max("finished_at"))
        busy = (span["last"] - span["first"]).total_seconds()
        print(
            f"celery worker --concurrency {concurrency}: {len(ids) / elapsed:,.1f} articles/s "
            f"end to end ({len(ids)} in {elapsed:.2f} s, enqueueing took {enqueued:.2f} s, "
            f"{failed} failed)"
        )
        print(
            f"  from the first run started to the last finished: {len(ids) / busy:,.1f} "
            f"articles/s ({busy:.2f} s)"
        )
        # Each worker child imports scikit-learn and loads the model on its first task.
        timeline = list(runs.order_by("started_at").values_list("started_at", "finished_at"))
        warm = timeline[concurrency:]
        if warm:
            steady = (max(f for _, f in warm) - warm[0][0]).total_seconds()
            first = [(f - s).total_seconds() for s, f in timeline[:concurrency]]
            print(
                f"  after each child's first task ({', '.join(f'{t:.2f}' for t in first)} s): "
                f"{len(warm) / steady:,.1f} articles/s"
            )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def wait_for_worker(app, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            sys.exit(f"the worker exited with code {worker.returncode}")
        if app.control.ping(timeout=0.5):
            return
    sys.exit("the worker did not answer within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--no-worker", action="store_true", help="in-process figures only")
    args = parser.parse_args()

    url = bench_database_url()
    recreate_database(url)
    flush_broker()
    os.environ.update(DATABASE_URL=url, CELERY_BROKER_URL=BROKER)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-worker-not-secret")

    import django

    django.setup()
    # One INFO line per article would cost more than some of what is measured.
    logging.getLogger("annotations").setLevel(logging.WARNING)
    from django.core.management import call_command

    from annotations.services.projects import project_create

    call_command("migrate", verbosity=0)
    project = project_create(slug="bench")
    rng = random.Random(0)
    started = time.perf_counter()
    first = import_articles(project, args.articles, rng, "in-process")
    second = [] if args.no_worker else import_articles(project, args.articles, rng, "worker")
    from annotations.extraction.sentences import split_sentences

    sentences = sum(len(split_sentences(a.canonical_text)) for a in first)
    print(
        f"imported {len(first) + len(second)} articles in {time.perf_counter() - started:.2f} s "
        f"(~{sentences / len(first):.0f} sentences each) into {BENCH_DB}"
    )

    # Figures depend on what else the machine runs; say how busy it was.
    print(f"load average before measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    measure_in_process(first)
    if not args.no_worker:
        from django.db import connections

        connections.close_all()
        measure_worker(project, second, args.concurrency, dict(os.environ))


if __name__ == "__main__":
    main()
