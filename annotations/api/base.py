"""What every API view shares."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.authentication import SessionAuthentication
from rest_framework.filters import OrderingFilter

from annotations.api.authentication import ApiTokenAuthentication
from annotations.api.errors import api_exception_handler
from annotations.api.pagination import ApiCursorPagination
from annotations.api.permissions import ProjectRole
from annotations.api.throttling import TokenRateThrottle
from annotations.models import Role


class ApiView:
    """Token or session auth, throttling per token, role permissions,
    filters, cursor pagination, and the services' errors as 400/409."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [ProjectRole]
    throttle_classes = [TokenRateThrottle]
    pagination_class = ApiCursorPagination
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["id", "created_at", "updated_at"]
    lookup_value_regex = "[0-9]+"
    # The role a write needs in the object's project (an action may ask more).
    write_role = Role.REVIEWER

    def scoped(self, queryset, path: str):
        """``queryset`` limited to the user's projects, through ``path``
        (the lookup from the model to ``Project``)."""
        user = self.request.user
        if not user.is_authenticated:
            return queryset.none()
        return queryset.filter(**{f"{path}__memberships__user": user})

    def get_exception_handler(self):
        return api_exception_handler
