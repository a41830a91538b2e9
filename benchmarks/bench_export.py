"""JSONL export speed and memory on a generated project, on PostgreSQL.

Creates its own database (dropped at the end unless --keep), generates a
project of --articles articles and --claims labeled claims, each with a
reviewer's verdict, a final verdict and an evidence link to a URL source,
then exports it all as JSONL in a fresh process and prints the time, the
claims per second, the exporting process's CPU time and how much its peak
memory (RSS high-water mark) grew during the export. Threads of the export
read pages ahead on connections of their own, so the time depends on the
cores free (the CPU time much less).

Run:
  DJANGO_SECRET_KEY=x python benchmarks/bench_export.py
  DJANGO_SECRET_KEY=x python benchmarks/bench_export.py --claims 1000000
  (--db-url postgres://postgres@127.0.0.1:5432/factcheck_bench_export by default;
  --keep, then --reuse, to generate the project once; --no-read-ahead to read
  every page on Django's connection, as inside a transaction; --incremental
  to export with an updated_after older than every change, as a consumer
  with an old watermark does; --runs N.)

The machines this runs on differ in speed from day to day, and their other
tenants make single runs vary by a quarter: it prints the best and median of
several runs, and times a fixed piece of work of the export's kind before each
run, printing the export's time in those units too, to compare machines (and
hours of the same machine).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/factcheck_bench_export"

SENTENCES = (
    "Around {n},000 residents were evacuated from the harbour district on Tuesday.",
    "The minister said unemployment fell by {n} per cent last year.",
    "About {n} firefighters fought the blaze for more than nine hours.",
    "The council will review the storage rules within {n} days.",
    "Prices rose {n} per cent in March, the statistics office said.",
    "The company said it passed a safety inspection in {n} months.",
    "Officials expect {n} new jobs in the region by next year.",
    "The law requires an inspection every {n} years.",
    "{n} people were treated for smoke inhalation, the mayor said.",
    "Traffic on the bridge grew by {n} per cent after the tolls were removed.",
)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--db-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--reuse", action="store_true", help="Use a database kept before.")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--format", default="jsonl")
    parser.add_argument("--runs", type=int, default=3, help="Measured runs, after one to warm up.")
    parser.add_argument(
        "--no-read-ahead", action="store_true", help="Read every page on Django's connection."
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="Export with an updated_after older than every change (all claims changed).",
    )
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.db_url
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")

    if args.measure:
        measure(args.format, read_ahead=not args.no_read_ahead, incremental=args.incremental)
        return
    if not args.reuse:
        _create_database(args.db_url)
    try:
        if not args.reuse:
            clock = time.perf_counter()
            generate(args.articles, args.claims)
            print(
                f"generated {args.articles} articles, {args.claims} claims "
                f"in {time.perf_counter() - clock:.1f} s"
            )
        command = [sys.executable, __file__, "--measure", "--db-url", args.db_url]
        command += ["--format", args.format]
        if args.no_read_ahead:
            command += ["--no-read-ahead"]
        if args.incremental:
            command += ["--incremental"]
        subprocess.run(command, check=True, capture_output=True)  # warms PostgreSQL's cache
        runs, references = [], []
        for _ in range(args.runs):
            references.append(_reference())  # the machine's speed now, run by run
            result = subprocess.run(command, check=True, capture_output=True, text=True)
            runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
        ratios = sorted(run["seconds"] / ref for run, ref in zip(runs, references, strict=True))
        times = sorted(run["seconds"] for run in runs)
        figures = min(runs, key=lambda run: run["seconds"])
        print(f"database: PostgreSQL ({urlparse(args.db_url).path.lstrip('/')})")
        print(f"format: {args.format} ({figures['reading']})")
        print(f"claims exported: {figures['claims']}")
        print(f"bytes written: {figures['bytes'] / 1e6:.1f} MB")
        print(
            f"time: {times[0]:.2f} s best, {statistics.median(times):.2f} s median of {len(times)} "
            f"({', '.join(f'{t:.2f}' for t in (run['seconds'] for run in runs))})"
        )
        print(f"rate: {figures['claims'] / times[0]:,.0f} claims/s at best")
        print(f"CPU time of the exporting process: {figures['cpu_seconds']:.2f} s (best run)")
        server = figures["server_cpu_seconds"]
        if server is not None:
            print(f"CPU time of the PostgreSQL server for it: {server:.2f} s (best run)")
        print(
            f"peak RSS growth during export: {max(r['rss_growth_mb'] for r in runs):.1f} MB "
            f"at most (baseline RSS {figures['rss_before_mb']:.1f} MB)"
        )
        print(
            f"queries on Django's connection: {figures['queries']} "
            f"({figures['queries_per_1000']:.2f} per 1,000 claims)"
        )
        print(
            f"this machine: {os.cpu_count()} cores; reference work (200,000 small records "
            f"built and encoded) took {min(references):.2f}-{max(references):.2f} s, "
            "measured before each run"
        )
        print(
            f"time in reference works, to compare machines and hours: {ratios[0]:.1f} best, "
            f"{statistics.median(ratios):.1f} median"
        )
    finally:
        if not args.keep:
            _drop_database(args.db_url)


def generate(n_articles: int, n_claims: int) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from annotations.models import (
        Article,
        Claim,
        EvidenceLink,
        Source,
        Verdict,
        VerdictLabel,
    )
    from annotations.services.projects import membership_set, project_create

    call_command("migrate", verbosity=0)
    project = project_create(slug="bench", name="Benchmark desk")
    User = get_user_model()
    reviewers = [User.objects.create(username=f"reviewer{i}") for i in range(5)]
    for user in reviewers:
        membership_set(project=project, user=user, role="reviewer")
    labels = list(VerdictLabel.objects.filter(project=project))
    sources = Source.objects.bulk_create(
        Source(project=project, url=f"https://stats.example.org/release/{i}", title=f"Release {i}")
        for i in range(1000)
    )
    per_article = max(1, n_claims // n_articles)
    now = timezone.now()
    made = 0
    batch = 1000  # articles per round
    for first in range(0, n_articles, batch):
        articles = []
        for a in range(first, min(first + batch, n_articles)):
            text = f"Report {a}. " + " ".join(
                SENTENCES[(a + s) % len(SENTENCES)].format(n=a % 97 + s) for s in range(per_article)
            )
            articles.append(
                Article(
                    project=project,
                    title=f"Article {a}",
                    outlet=f"Outlet {a % 40}",
                    url=f"https://news.example.com/{a}",
                    author=f"Reporter {a % 300}",
                    published_date=now.date(),
                    original_input=text,
                    canonical_text=text,
                    content_hash=Article.hash_text(text),
                    input_format="text",
                    import_source="command",
                    extraction_state="done",
                )
            )
        Article.objects.bulk_create(articles, batch_size=1000)
        claims = []
        for article in articles:
            text = article.canonical_text
            offset = text.index(".") + 2
            for s in range(per_article):
                if made >= n_claims:
                    break
                end = text.find(".", offset) + 1
                label = labels[(made // 3) % len(labels)]
                claims.append(
                    Claim(
                        article=article,
                        start=offset,
                        end=end,
                        quote=text[offset:end],
                        prefix=text[max(0, offset - 32) : offset],
                        suffix=text[end : end + 32],
                        origin="extracted",
                        score=0.5 + (s % 50) / 100,
                        extractor_version="bench-1",
                        reasons=["number (8,000)", "model feature: 'said'"],
                        claim_type="quantity",
                        claimant="the minister" if s % 2 else "",
                        state="accepted",
                        final_verdict=label,
                        final_verdict_at=now,
                        version=3,
                    )
                )
                made += 1
                offset = end + 1
        Claim.objects.bulk_create(claims, batch_size=5000)
        Verdict.objects.bulk_create(
            (
                Verdict(
                    claim=claim,
                    reviewer=reviewers[i % len(reviewers)],
                    label=claim.final_verdict,
                    rationale="Matches the statistics office's release.",
                )
                for i, claim in enumerate(claims)
            ),
            batch_size=5000,
        )
        EvidenceLink.objects.bulk_create(
            (
                EvidenceLink(
                    claim=claim,
                    source=sources[i % len(sources)],
                    stance="supports" if claim.final_verdict.slug == "supported" else "disputes",
                    note="Official figure.",
                    created_by=reviewers[i % len(reviewers)],
                )
                for i, claim in enumerate(claims)
            ),
            batch_size=5000,
        )
        if made >= n_claims:
            break
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(fmt: str, *, read_ahead: bool, incremental: bool = False) -> None:
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from annotations import exports
    from annotations.exports import pages
    from annotations.exports.records import ExportScope, claims_for_export
    from annotations.models import Project

    if not read_ahead:
        pages.read_ahead = lambda *args: None

    project = Project.objects.get(slug="bench")
    publisher = exports.publisher_for(project=project, base_url="https://factcheck.example.org")
    # Older than every change: all claims are in the incremental export.
    since = datetime(2000, 1, 1, tzinfo=UTC) if incremental else None

    def run(limit=None):
        claims = claims_for_export(project=project)
        if limit:
            claims = claims.filter(pk__in=claims.order_by("pk").values("pk")[:limit])
        written = count = 0
        scope = ExportScope(claims=claims, updated_after=since)
        for chunk in exports.export_chunks(fmt, scope, publisher):
            written += len(chunk)
            count += chunk.count(b"\n")
        return written, count

    run(limit=100)  # imports, connection, first queries: not the export's cost
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        server = _ServerCpu(cursor.fetchone()[0])
    rss_before = _status_kb("VmRSS")
    _reset_peak_rss()
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        clock, cpu = time.perf_counter(), time.process_time()
        written, count = run()
        seconds, cpu_seconds = time.perf_counter() - clock, time.process_time() - cpu
    peak = _status_kb("VmHWM")
    server_seconds = server.seconds()
    claims = claims_for_export(project=project).count()
    print(
        json.dumps(
            {
                "claims": claims,
                "lines": count,
                "bytes": written,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "server_cpu_seconds": server_seconds,
                "reading": ("pages read ahead" if read_ahead else "one connection")
                + (", incremental (updated_after older than every change)" if incremental else ""),
                "rss_before_mb": rss_before / 1024,
                "rss_growth_mb": (peak - rss_before) / 1024,
                "queries": len(queries),
                "queries_per_1000": 1000 * len(queries) / max(claims, 1),
            }
        )
    )


def _reference() -> float:
    """Seconds to build and encode 200,000 small records of the export's
    shape (nested dicts and lists of short strings), best of three: this
    machine's speed at the export's kind of work, whatever our code does."""
    import orjson

    best = float("inf")
    for _ in range(3):
        clock = time.perf_counter()
        for i in range(200_000):
            orjson.dumps(
                {
                    "id": i,
                    "quote": "The minister said unemployment fell by 4 per cent last year.",
                    "article": {"id": i // 10, "title": "Article", "url": "https://x.example/"},
                    "verdicts": [{"reviewer": "reviewer1", "verdict": "supported", "rating": 2}],
                    "evidence": [],
                    "provenance": {"origin": "extracted", "score": 0.5, "reasons": ["number"]},
                }
            )
        best = min(best, time.perf_counter() - clock)
    return best


class _ServerCpu:
    """CPU time of the PostgreSQL server processes serving the export, where
    they run on this machine and /proc shows them: Django's connection's
    backend, and those of the reading threads (gone by the end, so counted
    in their parent's time of children that exited, as any other backend
    that exits meanwhile would be). None where it cannot be read."""

    def __init__(self, backend_pid: int):
        self.backend = Path(f"/proc/{backend_pid}/stat")
        try:
            self.parent = Path(f"/proc/{self._fields(self.backend)[1]}/stat")
            self.start = self._ticks()
        except (OSError, IndexError, ValueError):
            self.start = None

    @staticmethod
    def _fields(stat: Path) -> list[str]:
        return stat.read_text().rpartition(")")[2].split()  # after "pid (name)"

    def _ticks(self) -> int:
        own = self._fields(self.backend)
        children = self._fields(self.parent)
        # utime, stime; then cutime, cstime: fields 14 to 17 of proc(5)
        return int(own[11]) + int(own[12]) + int(children[13]) + int(children[14])

    def seconds(self) -> float | None:
        if self.start is None:
            return None
        time.sleep(0.2)  # the reading threads' backends exiting
        try:
            return (self._ticks() - self.start) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak_rss() -> None:
    # Linux: writing 5 to clear_refs resets the high-water mark (VmHWM) to
    # the current RSS, so the peak measured is the export's own.
    Path("/proc/self/clear_refs").write_text("5")


def _admin_connection(db_url: str):
    import psycopg

    parts = urlparse(db_url)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def _create_database(db_url: str) -> None:
    name = urlparse(db_url).path.lstrip("/")
    with _admin_connection(db_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(db_url: str) -> None:
    name = urlparse(db_url).path.lstrip("/")
    with _admin_connection(db_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
