"""Cursor pagination on every list: stable under inserts, and a page costs
the same whatever its depth (no OFFSET, no COUNT)."""

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValidationError, ValueError, TypeError, OverflowError):
            # A tampered cursor whose position is not a value of the field.
            raise NotFound(self.invalid_cursor_message) from None
