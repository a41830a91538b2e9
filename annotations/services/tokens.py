"""Personal API tokens. The secret is shown once, when created; only its
SHA-256 is stored, so a leaked database does not leak working tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from annotations.models import ApiToken

TOKEN_PREFIX = "fc_"  # noqa: S105 (a marker, not a secret)
# last_used_at is written at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret is known)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:100], prefix=secret[:12], key_hash=hash_secret(secret))
    token.full_clean()
    token.save()
    return token, secret


def token_revoke(*, token: ApiToken, user) -> ApiToken:
    if token.user_id != user.pk:
        raise ValidationError("only the token's owner can revoke it")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(secret: str) -> ApiToken | None:
    """The live token with this secret, or None."""
    if not secret or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_secret(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
