"""Time ``claims_match`` of one new article (~30 claims) against a project of
10k, 100k and 1M existing claims, on PostgreSQL.

The corpus is generated: stories of ten articles of thirty claims each, sentences drawn
from a Zipf-distributed vocabulary of 5,000 words plus each story's own names, places
and figures, so that a new article has a few real neighbours among many unrelated
articles. The new article retells ten claims of one story in other words and adds
twenty of its own. The database ``factcheck_bench_match`` is dropped and rebuilt on
every run (the claims are added with bulk_create, the trigram index is built after
each batch as the migration would build it on an existing table,
then ANALYZE: the matcher reads the index's word statistics).

Run (PostgreSQL on localhost, trust auth):

    DJANGO_SECRET_KEY=x .venv/bin/python benchmarks/bench_matching.py
    DJANGO_SECRET_KEY=x .venv/bin/python benchmarks/bench_matching.py --sizes 10000 100000

Set BENCH_PG_URL to use another server (default postgres://postgres@127.0.0.1:5432).
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "factcheck_bench_match"
CLAIMS_PER_ARTICLE = 30
ARTICLES_PER_STORY = 10
_FUNCTION_WORDS_TEXT = """
the of and to in a that for on with as by at from said was were is are has have it its
their this after before over about than more who which would could will been also not but
into against during while
"""
FUNCTION_WORDS = _FUNCTION_WORDS_TEXT.split()
_UNITS_TEXT = "troops residents tonnes firefighters percent votes shells homes dollars"
UNITS = _UNITS_TEXT.split()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=7, help="new articles timed per size")
    args = parser.parse_args()

    _recreate_database()
    os.environ["DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    assert connection.vendor == "postgresql"

    from annotations import tasks
    from annotations.services.projects import project_create

    tasks.extract_claims.delay = lambda *a, **k: None
    tasks.match_claims.delay = lambda *a, **k: None
    project = project_create(slug="bench", name="Bench")
    words = Vocabulary(random.Random(7))
    loaded = 0
    results = []
    for size in sorted(args.sizes):
        clock = time.perf_counter()
        loaded = _load(project, words, loaded, size)
        load_time = time.perf_counter() - clock
        timings, found = _time_matching(project, words, args.rounds)
        results.append((size, timings, found))
        print(
            f"{size:>9,} claims (loaded in {load_time:.0f}s): claims_match of a new "
            f"30-claim article: median {statistics.median(timings) * 1000:.0f} ms, "
            f"max {max(timings) * 1000:.0f} ms over {len(timings)} articles; "
            f"matches proposed per article: {statistics.median(found):.0f}",
            flush=True,
        )
    print("\nsize        median    max")
    for size, timings, _ in results:
        print(
            f"{size:>9,}  {statistics.median(timings) * 1000:6.0f} ms {max(timings) * 1000:6.0f} ms"
        )


def _recreate_database():
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


class Vocabulary:
    """Pseudo-words: a Zipf-distributed common vocabulary, and per story a handful of
    names and places that only its articles use."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
        seen = set()
        self.common = []
        while len(self.common) < 5000:
            word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
            if word not in seen:
                seen.add(word)
                self.common.append(word)
        # Cumulative weights: choices() then bisects instead of summing 5,000 weights.
        self.cumulative = list(itertools.accumulate(1 / (r + 1) for r in range(5000)))
        self.syllables = syllables

    def story(self, seed: int) -> list[str]:
        rng = random.Random(seed)
        return [
            "".join(rng.choice(self.syllables) for _ in range(3)).capitalize() for _ in range(12)
        ]

    def sentence(self, story: list[str]) -> str:
        rng = self.rng
        n = rng.randint(14, 28)
        out = []
        for _ in range(n):
            roll = rng.random()
            if roll < 0.45:
                out.append(rng.choice(FUNCTION_WORDS))
            elif roll < 0.92:
                out.append(rng.choices(self.common, cum_weights=self.cumulative)[0])
            else:
                out.append(rng.choice(story))
        if rng.random() < 0.4:
            at = rng.randrange(len(out))
            out[at:at] = [f"{rng.randint(2, 20) * 500:,}", rng.choice(UNITS)]
        text = " ".join(out)
        return text[0].upper() + text[1:] + "."

    def retell(self, sentence: str) -> str:
        """The same claim in other words: some words dropped, some replaced."""
        rng = self.rng
        words = sentence.rstrip(".").split()
        kept = [w for w in words if rng.random() > 0.2]
        for i in range(len(kept)):
            if kept[i].islower() and rng.random() < 0.15:
                kept[i] = rng.choice(FUNCTION_WORDS)
        return "According to officials, " + " ".join(kept) + "."


def _article(project, words, story_id, sentences, title):
    from annotations.models import Article, Claim, ImportSource, InputFormat

    text = "\n\n".join(sentences)
    article = Article(
        project=project,
        title=title,
        outlet=f"Outlet {story_id % 97}",
        original_input=text,
        canonical_text=text,
        content_hash=Article.hash_text(text),
        input_format=InputFormat.TEXT,
        import_source=ImportSource.COMMAND,
        extraction_state="done",
    )
    claims, offset = [], 0
    for sentence in sentences:
        claims.append(
            Claim(
                start=offset,
                end=offset + len(sentence),
                quote=sentence,
                origin="extracted",
                score=0.8,
                state="candidate",
            )
        )
        offset += len(sentence) + 2
    return article, claims


def _load(project, words, loaded: int, target: int) -> int:
    """Add stories until the project holds ``target`` claims."""
    from django.db import connection, transaction

    from annotations.models import Article, Claim

    per_story = CLAIMS_PER_ARTICLE * ARTICLES_PER_STORY
    first_story = loaded // per_story
    with connection.cursor() as cursor:
        # Bulk loading is faster without the index; it is rebuilt below.
        cursor.execute("DROP INDEX IF EXISTS annotations_claim_quote_fts")
    story_id = first_story
    while loaded < target:
        articles, claims = [], []
        for _ in range(20):  # stories per batch
            story = words.story(story_id)
            for n in range(ARTICLES_PER_STORY):
                sentences = [words.sentence(story) for _ in range(CLAIMS_PER_ARTICLE)]
                article, its_claims = _article(
                    project, words, story_id, sentences, f"Story {story_id} #{n}"
                )
                articles.append(article)
                claims.append(its_claims)
            story_id += 1
        with transaction.atomic():
            Article.objects.bulk_create(articles, batch_size=1000)
            flat = []
            for article, its_claims in zip(articles, claims, strict=True):
                for claim in its_claims:
                    claim.article_id = article.pk
                    flat.append(claim)
            Claim.objects.bulk_create(flat, batch_size=5000)
        loaded += len(flat)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX annotations_claim_quote_fts ON annotations_claim "
            "USING gin (to_tsvector('english'::regconfig, quote))"
        )
        cursor.execute("ANALYZE annotations_claim")
        cursor.execute("ANALYZE annotations_article")
    return loaded


def _time_matching(project, words, rounds: int):
    from django.db import transaction

    from annotations.models import Article, Claim, ClaimMatch
    from annotations.services.matching import claims_match

    rng = random.Random(11)
    stories = Article.objects.filter(project=project).count() // ARTICLES_PER_STORY
    timings, found = [], []
    for round_ in range(rounds + 1):
        story_id = rng.randrange(stories)
        story = words.story(story_id)
        existing = list(
            Claim.objects.filter(article__title=f"Story {story_id} #0").values_list(
                "quote", flat=True
            )
        )
        sentences = [words.retell(s) for s in rng.sample(existing, 10)]
        sentences += [words.sentence(story) for _ in range(CLAIMS_PER_ARTICLE - 10)]
        rng.shuffle(sentences)
        with transaction.atomic():
            article, claims = _article(project, words, story_id, sentences, f"New {round_}")
            article.save()
            for claim in claims:
                claim.article = article
            Claim.objects.bulk_create(claims)
        clock = time.perf_counter()
        outcome = claims_match(article_id=article.pk)
        elapsed = time.perf_counter() - clock
        if round_:  # the first one warms the caches and loads the model
            timings.append(elapsed)
            found.append(outcome.created)
        ClaimMatch.objects.filter(left__article=article).delete()
        ClaimMatch.objects.filter(right__article=article).delete()
        Claim.objects.filter(extractor_version__endswith="+matching").delete()
        article.delete()
    return timings, found


if __name__ == "__main__":
    main()
