"""Filters of the API's lists (django-filter). Every numeric filter is
bounded, so no query string can make a query fail (a 400 instead)."""

import re
from datetime import UTC

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django_filters.fields import IsoDateTimeField

from annotations.exports.records import changed_since
from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    ClaimOrigin,
    ClaimState,
    ClaimType,
    DeletedClaim,
    EvidenceLink,
    ExtractionState,
    Source,
    Stance,
    Verdict,
)

MAX_ID = 2**63 - 1


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, converted to UTC here: PostgreSQL refuses offsets
    beyond ±15:59 that Python accepts, and a time near year 1 or 9999 may
    not survive the conversion (a 400, not a 500)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("This time is out of range.") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def _score_filter(lookup):
    return django_filters.NumberFilter(
        field_name="score", lookup_expr=lookup, min_value=0, max_value=1
    )


class ClaimFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(
        field_name="article__project__slug", help_text="Project slug."
    )
    article = IdFilter(field_name="article_id", help_text="Article id.")
    state = django_filters.ChoiceFilter(choices=ClaimState.choices)
    verdict = django_filters.CharFilter(
        method="filter_verdict",
        help_text="Claims with at least one reviewer's verdict of this slug.",
    )
    final_verdict = django_filters.CharFilter(
        method="filter_final_verdict",
        help_text="Final verdict slug; `none` for claims without one.",
    )
    claim_type = django_filters.ChoiceFilter(choices=ClaimType.choices)
    claimant = django_filters.CharFilter(lookup_expr="icontains")
    origin = django_filters.ChoiceFilter(choices=ClaimOrigin.choices)
    score_min = _score_filter("gte")
    score_max = _score_filter("lte")
    updated_after = UtcDateTimeFilter(
        method="filter_updated_after",
        help_text="Claims whose record changed after this time (ISO 8601): the claim, its "
        "article, verdicts, evidence or what it cites, or its matches. Pass the "
        "`X-Export-Watermark` (or an export job's `watermark`) of your last export.",
    )
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Words in the quote, normalized wording or claimant, all of them, as a "
        'web search takes them: `"a phrase"` as it is, `-word` for claims without it.',
    )
    disagreement = django_filters.BooleanFilter(
        method="filter_disagreement",
        help_text="`true`: claims on which reviewers gave different verdicts; `false`: the others.",
    )

    class Meta:
        model = Claim
        fields = []

    def filter_verdict(self, queryset, name, value):
        verdicts = Verdict.objects.filter(claim=OuterRef("pk"), label__slug=value)
        return queryset.filter(Exists(verdicts))

    def filter_final_verdict(self, queryset, name, value):
        if value == "none":
            return queryset.filter(final_verdict__isnull=True)
        return queryset.filter(final_verdict__slug=value)

    def filter_disagreement(self, queryset, name, value):
        disagreed = Claim.objects.disagreed().filter(pk=OuterRef("pk"))
        return queryset.filter(Exists(disagreed) if value else ~Exists(disagreed))

    def filter_updated_after(self, queryset, name, value):
        return queryset.filter(changed_since(value))

    def filter_q(self, queryset, name, value):
        for exclude, term in search_terms(value):
            found = (
                Q(quote__icontains=term)
                | Q(normalized_text__icontains=term)
                | Q(claimant__icontains=term)
            )
            queryset = queryset.exclude(found) if exclude else queryset.filter(found)
        return queryset


# A term of a search: an optional "-", then a "quoted phrase" or a word.
_TERM = re.compile(r'(-?)"([^"]+)"?|(-?)(\S+)')
MAX_TERMS = 10


def search_terms(value: str) -> list[tuple[bool, str]]:
    """The terms of a search, as (excluded, text): a web search's syntax,
    read the same on every database (words and phrases match anywhere in
    the text, whatever their case)."""
    terms = []
    for minus, phrase, word_minus, word in _TERM.findall(value):
        text = (phrase or word).strip()[:200]
        if text.strip('-"'):  # not a lone "-" or quote
            terms.append((bool(minus or word_minus), text))
    return terms[:MAX_TERMS]


class ArticleFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug", help_text="Project slug.")
    outlet = django_filters.CharFilter()
    extraction_state = django_filters.ChoiceFilter(choices=ExtractionState.choices)
    published_after = django_filters.DateFilter(field_name="published_date", lookup_expr="gte")
    published_before = django_filters.DateFilter(field_name="published_date", lookup_expr="lte")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    q = django_filters.CharFilter(method="filter_q", help_text="Words in the title or text.")

    class Meta:
        model = Article
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.search(value[:200])


class VerdictFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="claim__article__project__slug")
    claim = IdFilter(field_name="claim_id")
    article = IdFilter(field_name="claim__article_id")
    reviewer = django_filters.CharFilter(field_name="reviewer__username")
    verdict = django_filters.CharFilter(field_name="label__slug")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Verdict
        fields = []


class EvidenceFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="claim__article__project__slug")
    claim = IdFilter(field_name="claim_id")
    article = IdFilter(field_name="claim__article_id")
    source = IdFilter(field_name="source_id")
    stance = django_filters.ChoiceFilter(choices=Stance.choices)
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = EvidenceLink
        fields = []


class SourceFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    fetch_state = django_filters.ChoiceFilter(choices=Source.FetchState.choices)
    q = django_filters.CharFilter(method="filter_q", help_text="Words in the URL or title.")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Source
        fields = []

    def filter_q(self, queryset, name, value):
        value = value[:200]
        return queryset.filter(Q(url__icontains=value) | Q(title__icontains=value))


class MatchFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="left__article__project__slug")
    claim = IdFilter(method="filter_claim", help_text="Matches of this claim (either side).")
    state = django_filters.ChoiceFilter(choices=ClaimMatch.State.choices)
    score_min = _score_filter("gte")
    score_max = _score_filter("lte")

    class Meta:
        model = ClaimMatch
        fields = []

    def filter_claim(self, queryset, name, value):
        return queryset.filter(Q(left_id=value) | Q(right_id=value))


class DeletedClaimFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    deleted_after = UtcDateTimeFilter(
        field_name="deleted_at",
        lookup_expr="gt",
        help_text="Claims deleted after this time (ISO 8601): pass the watermark of your "
        "last export, as `updated_after`.",
    )

    class Meta:
        model = DeletedClaim
        fields = []
