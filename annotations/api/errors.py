"""How the services' refusals reach an API client: a 400 with a message
(and the field when there is one), a 409 with the current state for a stale
write, never a 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from annotations.services.articles import ImportRejected
from annotations.services.claims import ClaimRejected, StaleWrite
from annotations.services.evidence import EvidenceRejected
from annotations.services.exports import ExportRejected
from annotations.services.matching import MatchDecisionRejected

REJECTIONS = (ClaimRejected, EvidenceRejected, ExportRejected, MatchDecisionRejected)


def api_exception_handler(exc, context):
    if isinstance(exc, ImportRejected):
        body = {"detail": exc.message}
        if exc.existing is not None:
            body["existing"] = exc.existing.pk
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, REJECTIONS):
        field = getattr(exc, "field", None)
        body = {field: [str(exc)]} if field else {"detail": str(exc)}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)


def stale_response(exc: StaleWrite, context) -> Response:
    """409: the write was based on an old version; here is the current one
    (a claim, a verdict or an evidence link)."""
    from annotations.api import serializers
    from annotations.models import Claim, Verdict

    current = exc.current
    if isinstance(current, Claim):
        serializer_class, kind = serializers.ClaimSerializer, "claim"
    elif isinstance(current, Verdict):
        serializer_class, kind = serializers.VerdictSerializer, "verdict"
    else:
        serializer_class, kind = serializers.EvidenceSerializer, "evidence"
    return Response(
        {
            "detail": str(exc),
            "current_kind": kind,
            "current_version": current.version,
            "current": serializer_class(current, context=context).data,
        },
        status=status.HTTP_409_CONFLICT,
    )
