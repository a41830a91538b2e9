"""Full-text search for claim matching, on PostgreSQL only.

The matcher looks up the claims that share rare words with a new article's sentences;
a GIN index on the quotes' English tsvector makes that an index scan instead of a read
of every claim (see annotations/services/matching.py). SQLite has no such index and the
matcher has its own path there, so on any other database this migration does nothing.
No model state changes: the index is on an expression the model does not declare.
"""

from django.db import migrations

INDEX = "annotations_claim_quote_fts"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON annotations_claim "
        "USING gin (to_tsvector('english'::regconfig, quote))"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0002_tokens_exports_assignment"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
