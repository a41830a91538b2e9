"""Throttling per token (or per user, for the web app's session)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from annotations.models import ApiToken

DEFAULT_RATE = "1200/minute"


class TokenRateThrottle(SimpleRateThrottle):
    """Each token has its own budget, so one script cannot starve a user's
    other tokens or the web app. ``FACTCHECK_API_RATE`` overrides the rate."""

    scope = "api"

    def get_rate(self):
        return getattr(settings, "FACTCHECK_API_RATE", "") or DEFAULT_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
