import django_filters
from django import forms
from django.db.models import F

from annotations.models import Article, ExtractionState

SORTS = {
    "score": ("Top open score", [F("top_open_score").desc(nulls_last=True), "-id"]),
    "open": ("Most open candidates", ["-open_count", "-id"]),
    "newest": ("Newest", [F("published_date").desc(nulls_last=True), "-id"]),
    "oldest": ("Oldest", [F("published_date").asc(nulls_last=True), "id"]),
}


class ArticleFilter(django_filters.FilterSet):
    """Filters of a project's article queue (the project is scoped by the
    view). The queryset must carry ``with_claim_counts()`` and
    ``with_open_score()``, which the sort orders use."""

    q = django_filters.CharFilter(method="filter_search", label="Search title and text")
    extraction_state = django_filters.ChoiceFilter(
        choices=ExtractionState.choices, label="Extraction", empty_label="Any state"
    )
    outlet = django_filters.ChoiceFilter(choices=(), label="Outlet", empty_label="Any outlet")
    published_after = django_filters.DateFilter(
        field_name="published_date",
        lookup_expr="gte",
        label="Published from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    published_before = django_filters.DateFilter(
        field_name="published_date",
        lookup_expr="lte",
        label="Published until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    has_open = django_filters.BooleanFilter(
        method="filter_has_open",
        label="Has open candidates",
        widget=forms.CheckboxInput,
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine", label="Assigned to me", widget=forms.CheckboxInput
    )
    sort = django_filters.ChoiceFilter(
        method="filter_sort",
        label="Sort by",
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        empty_label=None,
    )

    class Meta:
        model = Article
        fields = [
            "q",
            "extraction_state",
            "outlet",
            "published_after",
            "published_before",
            "has_open",
            "mine",
            "sort",
        ]

    def __init__(self, data=None, *args, outlets=(), user=None, **kwargs):
        if data is not None:
            data = data.copy()
            data.setdefault("sort", "score")
        super().__init__(data, *args, **kwargs)
        self.user = user
        self.filters["outlet"].extra["choices"] = [(o, o) for o in outlets]

    @property
    def qs(self):
        queryset = super().qs
        if not queryset.query.order_by:
            queryset = queryset.order_by(*SORTS["score"][1])
        return queryset

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_has_open(self, queryset, name, value):
        return queryset.with_open_candidates() if value else queryset

    def filter_mine(self, queryset, name, value):
        return queryset.filter(assigned_to=self.user) if value and self.user else queryset

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["score"])[1])
