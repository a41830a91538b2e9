"""Import time of the two real articles of ../shared/corpus (cleaning, dedup
checks, storing, queueing extraction), per article, on the configured
database. Run: DJANGO_SECRET_KEY=x python benchmarks/bench_import.py [--rounds N]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    from annotations import tasks
    from annotations.services.articles import article_import_file
    from annotations.services.projects import project_create

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    tasks.extract_claims.delay = lambda *a, **k: None  # measure the import, not the broker
    try:
        call_command("migrate", verbosity=0)
        files = sorted((ROOT.parent / "shared" / "corpus").glob("*.txt"))
        timings = []
        for round_ in range(args.rounds):
            project = project_create(slug=f"bench-{round_}")
            for path in files:
                data = path.read_bytes()
                start = time.perf_counter()
                article_import_file(project=project, filename=path.name, data=data)
                timings.append(time.perf_counter() - start)
        print(f"database: {connection.vendor}")
        print(f"articles imported: {len(timings)} ({len(files)} files x {args.rounds} rounds)")
        print(f"median import time per article: {statistics.median(timings) * 1000:.1f} ms")
        print(f"slowest: {max(timings) * 1000:.1f} ms (first import loads trafilatura)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
