"""Values formatted as text by the database, for the exports.

Parsing timestamps, UUIDs and dates into Python objects only to format them
back into text is most of an export's cost; the database can write them as
the strings the export needs (UTC times with ``Z``) much faster.
"""

from django.db.models import CharField, F, Func


class IsoTime(Func):
    """A timestamp as ISO 8601 in UTC with ``Z``."""

    output_field = CharField()

    def __init__(self, field: str):
        super().__init__(F(field))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')',
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores UTC as 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
        return self.as_sql(
            compiler, connection, template="(REPLACE(%(expressions)s, ' ', 'T') || 'Z')", **extra
        )

    def as_sql(self, compiler, connection, template=None, **extra):
        template = template or "CAST(%(expressions)s AS TEXT)"
        return super().as_sql(compiler, connection, template=template, **extra)


class UuidText(Func):
    """A UUID in its usual dashed form."""

    output_field = CharField()

    def __init__(self, field: str):
        super().__init__(F(field))

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="%(expressions)s::text", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores a UUID in SQLite as 32 hex digits.
        x = "%(expressions)s"
        template = (
            f"(substr({x}, 1, 8) || '-' || substr({x}, 9, 4) || '-' || substr({x}, 13, 4) "
            f"|| '-' || substr({x}, 17, 4) || '-' || substr({x}, 21, 12))"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


class DateText(Func):
    """A date as YYYY-MM-DD."""

    output_field = CharField()
    template = "CAST(%(expressions)s AS TEXT)"

    def __init__(self, field: str):
        super().__init__(F(field))
