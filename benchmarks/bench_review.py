"""Server time of the review page and its partials, for an article of 300
claims and 50 evidence links (the data of tests/test_review_queries.py).

Run from the repository root:

    .venv/bin/python benchmarks/bench_review.py [ROUNDS] [--profile LABEL]

It builds a throwaway database (SQLite in a temporary folder, or a test
database next to DATABASE_URL when that is set), renders each page ROUNDS
times (default 50) through Django's test client, which runs the whole
middleware stack and the templates, and prints the median and the 90th
percentile of the wall time in milliseconds, the median CPU time of the
process (the same on a busy machine: SQLite runs in-process, so it includes
the queries there), and the number of queries.

With ``--profile LABEL`` (a word of a measurement's label, e.g. ``accept``)
it also prints where that measurement's time goes: cProfile's top functions
by cumulative time over all its rounds.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("DATABASE_URL"):
    os.environ["FACTCHECK_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-review-")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotations.models import Role  # noqa: E402

PROFILE = None  # a word of the label of the measurement to profile


def measure(client, label, url, rounds, method="get", data_for=None, **headers):
    timings, cpu = [], []
    with CaptureQueriesContext(connection) as queries:
        getattr(client, method)(url, data_for(0) if data_for else None, **headers)
    query_count = len(queries)
    profile = cProfile.Profile() if PROFILE and PROFILE in label else None
    if profile:
        profile.enable()
    for i in range(rounds):
        data = data_for(i + 1) if data_for else None
        start, start_cpu = time.perf_counter(), time.process_time()
        response = getattr(client, method)(url, data, **headers)
        cpu.append((time.process_time() - start_cpu) * 1000)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (label, response.status_code)
    if profile:
        profile.disable()
    timings.sort()
    p90 = timings[int(len(timings) * 0.9) - 1]
    print(
        f"{label:<44} median {statistics.median(timings):6.1f} ms   p90 {p90:6.1f} ms   "
        f"CPU median {statistics.median(cpu):6.1f} ms   {query_count} queries"
    )
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


def main(rounds: int) -> None:
    # No setup_test_environment(): it instruments every template render to
    # record its context for tests, work a server never does.
    # As in Django's own test runs (and with persistent connections in
    # production): keep the connection between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from tests.factories import ProjectFactory, member
        from tests.test_review_queries import build_review_article

        project = ProjectFactory(slug="bench", name="Bench")
        alice = member(project, "alice", Role.REVIEWER)
        bob = member(project, "bob", Role.REVIEWER)
        article = build_review_article(project, [alice, bob], claims=300, links=50)
        claims = list(article.claims.filter(state="candidate").order_by("pk"))
        linked = article.claims.filter(evidence__isnull=False).first()
        client = Client()
        client.force_login(alice)
        htmx = {"HTTP_HX_REQUEST": "true"}
        page = reverse("article_detail", args=[project.slug, article.pk])

        print(f"{connection.vendor}, {rounds} rounds, article of 300 claims and 50 evidence links")
        measure(client, "review page", page, rounds)
        measure(client, "review page, a claim selected", f"{page}?claim={linked.pk}", rounds)
        measure(
            client,
            "partial: claim detail (j/k)",
            reverse("claim_detail", args=[project.slug, linked.pk]),
            rounds,
            **htmx,
        )
        measure(
            client,
            "partial: extraction status (polling)",
            reverse("article_status", args=[project.slug, article.pk]),
            rounds,
            **htmx,
        )
        claim = claims[0]
        versions = {"n": claim.version}

        def flip(i):
            # accept and dismiss in turn, each from the version the last one left
            data = {"action": "accept" if i % 2 == 0 else "dismiss", "version": versions["n"]}
            versions["n"] += 1
            return data

        measure(
            client,
            "partial: accept/dismiss (row, text, counts)",
            reverse("claim_decide", args=[project.slug, claim.pk]),
            rounds,
            method="post",
            data_for=flip,
            **htmx,
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rounds", type=int, nargs="?", default=50)
    parser.add_argument("--profile", metavar="LABEL", help="profile the measurement so labelled")
    args = parser.parse_args()
    PROFILE = args.profile
    main(args.rounds)
