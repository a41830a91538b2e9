"""Export endpoints: streamed downloads of a project's claims in every
format, Web Annotation pages, and background export jobs."""

from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from annotations import exports
from annotations.api.base import ApiView
from annotations.api.filters import ClaimFilter
from annotations.api.serializers import ExportJobCreateSerializer, ExportJobSerializer
from annotations.exports.records import ExportScope, claims_for_export, ts, watermark
from annotations.exports.webannotation import MEDIA_TYPE, collection_page
from annotations.models import ExportJob, Project
from annotations.services.exports import export_job_create, export_job_file

FORMAT_PATTERN = "|".join(exports.FORMATS)
WATERMARK_HEADER = "X-Export-Watermark"
NOT_EXPORT_PARAMS = {"bom", "after", "page", "page_size", "format"}


class ExportExpired(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This export expired and its file was deleted; start a new export."
    default_code = "expired"


class AnyAcceptMixin:
    """A download's body is written by the view whatever the client accepts
    (``text/csv``, ``application/x-ndjson``...); an error is JSON."""

    def perform_content_negotiation(self, request, force=False):
        if self.action in ("export", "download"):
            force = True
        return super().perform_content_negotiation(request, force=force)


class JsonLdRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


def _claim_filter_parameters():
    return [
        OpenApiParameter(name, str, description=f.extra.get("help_text") or "")
        for name, f in ClaimFilter.base_filters.items()
    ]


def stream_export(request, project: Project, fmt: str, params) -> StreamingHttpResponse:
    """A streamed download of the project's claims, filtered like ``/claims/``.
    Its ``X-Export-Watermark`` header is the ``updated_after`` of the next
    incremental export."""
    started = timezone.now()
    claim_filter = _claim_filter(project, params)
    publisher = exports.publisher_for(project=project, request=request)
    chunks = exports.export_chunks(
        fmt,
        ExportScope(claims=claim_filter.qs),
        publisher,
        bom=exports.wants_bom(params.get("bom")),
        collection_id=request.build_absolute_uri(),
        label=f"Claims of {project.name}",
    )
    response = StreamingHttpResponse(
        chunks,
        content_type=exports.FORMATS[fmt].content_type,
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(project.slug, fmt)}"'
    )
    response[WATERMARK_HEADER] = ts(watermark(started))
    response["Cache-Control"] = "no-store"
    return response


def _claim_filter(project: Project, params) -> ClaimFilter:
    data = {k: v for k, v in params.items() if k not in NOT_EXPORT_PARAMS}
    claim_filter = ClaimFilter(data, queryset=claims_for_export(project=project))
    if not claim_filter.is_valid():
        raise ValidationError(claim_filter.errors)
    return claim_filter


class _PageParams(serializers.Serializer):
    page_size = serializers.IntegerField(min_value=1, max_value=1000, default=100)
    after = serializers.IntegerField(min_value=0, max_value=2**63 - 1, required=False)
    # The first page's own id (``?page=1``): pages after it are found by ``after``.
    page = serializers.IntegerField(min_value=1, max_value=1, required=False)


class ProjectExportMixin(AnyAcceptMixin):
    """Export actions of the project resource."""

    @extend_schema(
        summary="Export the project's claims (streamed)",
        description="Every claim matching the filters, with its article, verdicts, final "
        "verdict, evidence, matches and provenance, streamed at any size. Formats: `jsonl` "
        "(one record per line), `json` (an array), `csv` (one row per claim; `bom=1` adds a "
        "UTF-8 BOM for spreadsheets), `claimreview` (schema.org ClaimReview for claims with "
        "a final verdict), `webannotation` (a W3C AnnotationCollection). The response's "
        "`X-Export-Watermark` is the `updated_after` to pass next time to get only what "
        "changed (records are keyed by `uuid` and may repeat).",
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(exports.FORMATS)),
            OpenApiParameter("bom", bool, description="CSV: start with a UTF-8 BOM."),
            *_claim_filter_parameters(),
        ],
        responses={
            (200, "application/x-ndjson"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.ANY,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/ld+json"): OpenApiTypes.ANY,
            (400, "application/json"): OpenApiTypes.OBJECT,
            (404, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"export/(?P<fmt>{FORMAT_PATTERN})",
        renderer_classes=[JSONRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def export(self, request, slug=None, fmt=None):
        project = get_object_or_404(self.get_queryset(), slug=slug)
        return stream_export(request, project, fmt, request.query_params)

    @extend_schema(
        summary="Claims as W3C Web Annotations, in pages",
        description="Without `after`: the AnnotationCollection with its first page embedded; "
        "with `after` (the `next` link): the following AnnotationPage. Each claim is one "
        "annotation targeting its article with a TextQuoteSelector and a "
        "TextPositionSelector (code points). Accepts the filters of `/claims/`.",
        parameters=[
            OpenApiParameter("page_size", int, description="Annotations per page (1–1000)."),
            OpenApiParameter("after", int, description="Start after this claim id."),
            OpenApiParameter(
                "page", int, description="`1`: the first AnnotationPage alone (its `id`)."
            ),
            *_claim_filter_parameters(),
        ],
        responses={
            (200, "application/ld+json"): OpenApiTypes.OBJECT,
            (200, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="annotations",
        renderer_classes=[JsonLdRenderer, JSONRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def annotations(self, request, slug=None):
        project = get_object_or_404(self.get_queryset(), slug=slug)
        paging = _PageParams(data=request.query_params)
        paging.is_valid(raise_exception=True)
        claim_filter = _claim_filter(project, request.query_params)
        base = request.query_params.copy()
        for name in ("after", "page"):
            base.pop(name, None)
        collection_id = request.build_absolute_uri(request.path)
        if base:
            collection_id += "?" + base.urlencode()
        after = paging.validated_data.get("after")
        body = collection_page(
            ExportScope(claims=claim_filter.qs),
            exports.publisher_for(project=project, request=request),
            collection_id=collection_id,
            label=f"Claims of {project.name}",
            page_size=paging.validated_data["page_size"],
            after=after,
            first_page="page" in paging.validated_data,
        )
        if after is not None and not body["items"]:
            raise NotFound("No annotations after this one.")
        return Response(body, content_type=MEDIA_TYPE)


class ExportJobViewSet(
    ApiView, AnyAcceptMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Large exports written to a file in the background."""

    serializer_class = ExportJobSerializer
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-f-]{36}"
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return self.scoped(ExportJob.objects, "project").select_related("project")

    @extend_schema(
        summary="Start a background export",
        request=ExportJobCreateSerializer,
        responses={202: ExportJobSerializer, 400: OpenApiTypes.OBJECT},
    )
    def create(self, request, *args, **kwargs):
        incoming = ExportJobCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        project = Project.objects.for_user(request.user).filter(slug=data["project"]).first()
        if project is None:
            raise ValidationError({"project": [f"No project {data['project']!r} among yours."]})
        filters = dict(data["filters"])
        check = ClaimFilter(
            {k: v for k, v in filters.items() if k != "bom"}, queryset=claims_for_export()
        )
        if not check.is_valid():
            raise ValidationError({"filters": check.errors})
        job = export_job_create(
            project=project,
            user=request.user,
            format=data["format"],
            filters=filters,
            base_url=request.build_absolute_uri("/"),
        )
        body = ExportJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Download a finished export",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not finished, or not yours to see."),
            410: OpenApiResponse(description="Expired: the file was deleted."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer])
    def download(self, request, uuid=None):
        job = self.get_object()
        if job.state == ExportJob.State.EXPIRED:
            raise ExportExpired()
        path = export_job_file(job)
        if path is None:
            raise NotFound("This export is not ready (or its file is gone).")
        response = FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=exports.filename(job.project.slug, job.format),
            content_type=exports.FORMATS[job.format].content_type,
        )
        return response
