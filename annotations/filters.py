import django_filters
from django import forms

from annotations.models import Article, ExtractionState


class ArticleFilter(django_filters.FilterSet):
    """Filters of a project's article list (the project is scoped by the view)."""

    q = django_filters.CharFilter(method="filter_search", label="Search")
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

    class Meta:
        model = Article
        fields = ["q", "extraction_state", "outlet", "published_after", "published_before"]

    def __init__(self, *args, outlets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["outlet"].extra["choices"] = [(o, o) for o in outlets]

    def filter_search(self, queryset, name, value):
        return queryset.search(value)
