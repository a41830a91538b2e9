"""The API's resources. Each view scopes its queryset to the user's projects
(another project's object is a 404), validates with a serializer and writes
through the services, which check the user's role (a 403 when too low)."""

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from annotations.api import filters, serializers
from annotations.api.base import ApiView
from annotations.api.errors import stale_response
from annotations.api.export_views import ProjectExportMixin
from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    DeletedClaim,
    EvidenceLink,
    ImportSource,
    Membership,
    Project,
    Role,
    Source,
    Verdict,
)
from annotations.services import articles as article_services
from annotations.services.claims import (
    StaleWrite,
    claim_create_manual,
    claim_set_final_verdict,
    claim_update,
    require_role,
    verdict_delete,
    verdict_set,
)
from annotations.services.evidence import (
    evidence_link_create,
    evidence_link_delete,
    evidence_link_update,
)
from annotations.services.extraction import extraction_enqueue
from annotations.services.matching import match_confirm, match_reject

CONFLICT = OpenApiResponse(
    description="Stale write: the object changed since `version`. The body holds the "
    "current state (`current`, `current_version`); nothing was overwritten.",
    examples=[
        OpenApiExample(
            "Stale write",
            value={
                "detail": "bob changed this in the meantime (now version 3).",
                "current_kind": "claim",
                "current_version": 3,
                "current": {"id": 42, "version": 3, "state": "dismissed"},
            },
        )
    ],
)
DELETE_VERSION = OpenApiParameter(
    "version",
    int,
    description="The version you were shown: if it changed since, nothing is removed and "
    "the answer is 409 with the current state. Left out: removed whatever its version.",
)
BAD_REQUEST = OpenApiResponse(
    description="Invalid input: errors by field name, or `detail`.",
    examples=[
        OpenApiExample(
            "Quote does not match",
            value={"quote": ["the quote does not match the text at 0-12: ..."]},
        )
    ],
)


@extend_schema_view(
    list=extend_schema(summary="Your projects", description="Projects you are a member of."),
    retrieve=extend_schema(summary="A project"),
)
class ProjectViewSet(ApiView, ProjectExportMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.ProjectSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filter_backends = [OrderingFilter]

    def get_queryset(self):
        role = Membership.objects.filter(project=OuterRef("pk"), user=self.request.user)
        return (
            Project.objects.for_user(self.request.user)
            .annotate(role=Subquery(role.values("role")[:1]))
            .prefetch_related("verdict_labels")
        )

    @extend_schema(
        summary="Reviewer agreement",
        description="How far the reviewers' verdicts agree: Krippendorff's alpha (nominal) "
        "over the claims judged by two reviewers or more, and Cohen's kappa for each pair "
        "of reviewers on the claims both judged.",
        responses={200: serializers.AgreementSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def agreement(self, request, slug=None):
        project = self.get_object()
        result, pairs = Verdict.objects.in_project(project).reviewer_agreement()
        body = {
            "claims": result.claims,
            "verdicts": result.verdicts,
            "unanimous": result.unanimous,
            "disagreements": len(result.disagreements),
            "alpha": result.alpha,
            "reading": result.reading,
            "pairs": [
                {
                    "first": p.first,
                    "second": p.second,
                    "claims": p.figures.claims,
                    "agreed": p.figures.agreed,
                    "kappa": p.figures.kappa,
                }
                for p in pairs
            ],
        }
        return Response(serializers.AgreementSerializer(body).data)


@extend_schema_view(
    list=extend_schema(summary="Articles", description="Articles of your projects."),
    retrieve=extend_schema(summary="An article, with its canonical text"),
    create=extend_schema(
        summary="Import an article",
        description="The same import as the web form: cleaned, normalised (NFC), refused when "
        "it is a duplicate (same URL or same text; `existing` gives its id). Extraction is "
        "queued once stored. Needs the reviewer role.",
        request=serializers.ArticleImportSerializer,
        responses={201: serializers.ArticleDetailSerializer, 400: BAD_REQUEST},
        examples=[
            OpenApiExample(
                "Pasted text",
                request_only=True,
                value={
                    "project": "demo",
                    "title": "Fire at the harbour",
                    "outlet": "Veloria Herald",
                    "text": "About 120 firefighters fought the blaze for nine hours.",
                },
            )
        ],
    ),
)
class ArticleViewSet(ApiView, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    filterset_class = filters.ArticleFilter
    ordering_fields = ["id", "created_at", "updated_at", "title"]

    def get_queryset(self):
        qs = Article.objects.for_user(self.request.user).select_related("project")
        if self.action == "list":
            qs = qs.defer("canonical_text", "original_input")
        return qs

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ArticleDetailSerializer
        if self.action == "create":
            return serializers.ArticleImportSerializer
        return serializers.ArticleSerializer

    def create(self, request, *args, **kwargs):
        data = _valid(serializers.ArticleImportSerializer, request)
        project = _project_for(request.user, data["project"], Role.REVIEWER)
        metadata = article_services.Metadata(
            title=data.get("title", ""),
            url=data.get("url", ""),
            outlet=data.get("outlet", ""),
            author=data.get("author", ""),
            published=data.get("published_date"),
        )
        if data["fetch_url"]:
            article = article_services.article_import_url(
                project=project,
                url=data["url"],
                user=request.user,
                metadata=metadata,
                import_source=ImportSource.API,
            )
        else:
            article = article_services.article_import_text(
                project=project,
                text=data["text"],
                user=request.user,
                metadata=metadata,
                import_source=ImportSource.API,
            )
        body = serializers.ArticleDetailSerializer(article, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Re-run extraction",
        description="Queues an extraction of the article (a run already waiting is reused). "
        "Only candidates nobody has touched are replaced: accepted, dismissed and manual "
        "claims, verdicts and evidence never change. Needs the reviewer role.",
        request=None,
        responses={202: serializers.ExtractionRunSerializer},
    )
    @action(detail=True, methods=["post"])
    def extract(self, request, pk=None):
        article = self.get_object()
        run = extraction_enqueue(article=article, user=request.user)
        return Response(
            serializers.ExtractionRunSerializer(run).data, status=status.HTTP_202_ACCEPTED
        )


@extend_schema_view(
    list=extend_schema(summary="Claims", description="Claims of your projects, filtered."),
    retrieve=extend_schema(summary="A claim"),
    create=extend_schema(
        summary="Add a claim by hand",
        description="Offsets count Unicode code points of the article's canonical text; "
        "`text[start:end]` must equal `quote` (400 with the field otherwise). Needs the "
        "reviewer role.",
        request=serializers.ClaimCreateSerializer,
        responses={201: serializers.ClaimSerializer, 400: BAD_REQUEST},
        examples=[
            OpenApiExample(
                "A span",
                request_only=True,
                value={"article": 1, "start": 0, "end": 22, "quote": "About 120 firefighters"},
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Decide or edit a claim",
        description="Accept or dismiss a candidate, or change its type, claimant or wording. "
        "`version` is the version your change is based on: if someone changed the claim "
        "since, the answer is 409 with its current state.",
        request=serializers.ClaimUpdateSerializer,
        responses={200: serializers.ClaimSerializer, 400: BAD_REQUEST, 409: CONFLICT},
        examples=[
            OpenApiExample("Accept", request_only=True, value={"version": 1, "state": "accepted"})
        ],
    ),
)
class ClaimViewSet(
    ApiView, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = serializers.ClaimSerializer
    filterset_class = filters.ClaimFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Claim.objects.for_user(self.request.user).select_related(
            "article__project", "final_verdict", "final_verdict_by", "created_by"
        )

    def create(self, request, *args, **kwargs):
        data = _valid(serializers.ClaimCreateSerializer, request)
        claim = claim_create_manual(user=request.user, **data)
        return Response(self._show(claim), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        claim = self.get_object()
        data = _valid(serializers.ClaimUpdateSerializer, request)
        version = data.pop("version")
        try:
            claim = claim_update(claim=claim, user=request.user, expected_version=version, **data)
        except StaleWrite as exc:
            return stale_response(exc, self.get_serializer_context())
        return Response(self._show(claim))

    @extend_schema(
        summary="Set the final verdict",
        description="An editor's final verdict on the claim (`verdict: null` hands it back "
        "to the reviewers' agreement). Needs the editor role.",
        request=serializers.FinalVerdictSerializer,
        responses={200: serializers.ClaimSerializer, 400: BAD_REQUEST, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="final-verdict", write_role=Role.EDITOR)
    def final_verdict(self, request, pk=None):
        claim = self.get_object()
        data = _valid(serializers.FinalVerdictSerializer, request)
        try:
            claim = claim_set_final_verdict(
                claim=claim,
                editor=request.user,
                label=data["verdict"],
                expected_version=data["version"],
            )
        except StaleWrite as exc:
            return stale_response(exc, self.get_serializer_context())
        return Response(self._show(claim))

    def _show(self, claim):
        claim = self.get_queryset().get(pk=claim.pk)
        return serializers.ClaimSerializer(claim, context=self.get_serializer_context()).data


@extend_schema_view(
    list=extend_schema(summary="Verdicts"),
    retrieve=extend_schema(summary="A verdict"),
    create=extend_schema(
        summary="Give your verdict on a claim",
        description="Sets your own verdict (one per reviewer and claim; a second POST "
        "changes it). `version` is the version of your verdict you saw (0, null or left "
        "out: none). A stale one is a 409 with your current verdict, so a verdict is never "
        "replaced unseen.",
        request=serializers.VerdictWriteSerializer,
        responses={201: serializers.VerdictSerializer, 400: BAD_REQUEST, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Disputed",
                request_only=True,
                value={
                    "claim": 42,
                    "verdict": "disputed",
                    "rationale": "The council's own release says 1,200.",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change your verdict",
        request=serializers.VerdictUpdateSerializer,
        responses={200: serializers.VerdictSerializer, 400: BAD_REQUEST, 409: CONFLICT},
    ),
    destroy=extend_schema(
        summary="Withdraw your verdict",
        parameters=[DELETE_VERSION],
        responses={204: None, 409: CONFLICT},
    ),
)
class VerdictViewSet(
    ApiView,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    serializer_class = serializers.VerdictSerializer
    filterset_class = filters.VerdictFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return self.scoped(Verdict.objects, "claim__article__project").select_related(
            "reviewer", "label", "claim__article__project"
        )

    def create(self, request, *args, **kwargs):
        data = _valid(serializers.VerdictWriteSerializer, request)
        try:
            verdict = verdict_set(
                claim=data["claim"],
                reviewer=request.user,
                label=data["verdict"],
                rationale=data["rationale"],
                # Left out: you had none. A verdict is never replaced unseen.
                expected_version=data.get("version") or 0,
            )
        except StaleWrite as exc:
            return stale_response(exc, self.get_serializer_context())
        return Response(self._show(verdict), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        verdict = self.get_object()
        if verdict.reviewer_id != request.user.pk:
            raise PermissionDenied("only its reviewer can change a verdict")
        data = _valid(serializers.VerdictUpdateSerializer, request)
        try:
            verdict = verdict_set(
                claim=verdict.claim,
                reviewer=request.user,
                label=data["verdict"],
                rationale=data["rationale"],
                expected_version=data["version"],
            )
        except StaleWrite as exc:
            return stale_response(exc, self.get_serializer_context())
        return Response(self._show(verdict))

    def destroy(self, request, *args, **kwargs):
        verdict = self.get_object()
        return _delete(
            self,
            lambda version: verdict_delete(
                verdict=verdict, reviewer=request.user, expected_version=version
            ),
        )

    def _show(self, verdict):
        verdict = self.get_queryset().get(pk=verdict.pk)
        return serializers.VerdictSerializer(verdict, context=self.get_serializer_context()).data


@extend_schema_view(
    list=extend_schema(summary="Evidence links"),
    retrieve=extend_schema(summary="An evidence link"),
    create=extend_schema(
        summary="Link a claim to evidence",
        description="Exactly one of a URL (stored once per project as a source, fetched in "
        "the background), an article or a claim of the same project. An excerpt with "
        "offsets must match the target's text.",
        request=serializers.EvidenceCreateSerializer,
        responses={201: serializers.EvidenceSerializer, 400: BAD_REQUEST},
        examples=[
            OpenApiExample(
                "A URL",
                request_only=True,
                value={
                    "claim": 42,
                    "stance": "disputes",
                    "url": "https://veloria.example/council/press/fire",
                    "note": "The council's release.",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Edit an evidence link",
        request=serializers.EvidenceUpdateSerializer,
        responses={200: serializers.EvidenceSerializer, 400: BAD_REQUEST, 409: CONFLICT},
    ),
    destroy=extend_schema(
        summary="Remove an evidence link",
        parameters=[DELETE_VERSION],
        responses={204: None, 409: CONFLICT},
    ),
)
class EvidenceViewSet(
    ApiView,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    serializer_class = serializers.EvidenceSerializer
    filterset_class = filters.EvidenceFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return self.scoped(EvidenceLink.objects, "claim__article__project").select_related(
            "source__project", "created_by", "claim__article__project"
        )

    def create(self, request, *args, **kwargs):
        data = _valid(serializers.EvidenceCreateSerializer, request)
        link = evidence_link_create(
            claim=data["claim"],
            user=request.user,
            stance=data["stance"],
            url=data.get("url") or "",
            target_article=data.get("target_article"),
            target_claim=data.get("target_claim"),
            note=data["note"],
            excerpt=data["excerpt"],
            excerpt_start=data.get("excerpt_start"),
            excerpt_end=data.get("excerpt_end"),
        )
        return Response(self._show(link), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        link = self.get_object()
        data = _valid(serializers.EvidenceUpdateSerializer, request)
        version = data.pop("version")
        try:
            link = evidence_link_update(
                link=link, user=request.user, expected_version=version, **data
            )
        except StaleWrite as exc:
            return stale_response(exc, self.get_serializer_context())
        return Response(self._show(link))

    def destroy(self, request, *args, **kwargs):
        link = self.get_object()
        return _delete(
            self,
            lambda version: evidence_link_delete(
                link=link, user=request.user, expected_version=version
            ),
        )

    def _show(self, link):
        link = self.get_queryset().get(pk=link.pk)
        return serializers.EvidenceSerializer(link, context=self.get_serializer_context()).data


@extend_schema_view(
    list=extend_schema(summary="Sources", description="Web pages cited as evidence."),
    retrieve=extend_schema(summary="A source, with the text of its snapshot"),
)
class SourceViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    filterset_class = filters.SourceFilter

    def get_queryset(self):
        qs = self.scoped(Source.objects, "project").select_related("project")
        return qs.defer("text") if self.action == "list" else qs

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.SourceDetailSerializer
        return serializers.SourceSerializer


@extend_schema_view(
    list=extend_schema(
        summary="Matches",
        description="The same claim found in two articles, proposed by the matcher "
        "(`suggested`) and confirmed or rejected by a reviewer.",
    ),
    retrieve=extend_schema(summary="A match"),
)
class MatchViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.MatchSerializer
    filterset_class = filters.MatchFilter
    ordering_fields = ["id", "created_at", "updated_at", "score"]

    def get_queryset(self):
        return self.scoped(ClaimMatch.objects, "left__article__project").select_related(
            "decided_by"
        )

    @extend_schema(
        summary="Confirm a match",
        description="The two claims are the same: each becomes evidence for the other, "
        "with the match's stance (`disputes` when the figures differ) unless `stance` says "
        "otherwise. Confirming again changes nothing. Needs the reviewer role.",
        request=serializers.MatchConfirmSerializer,
        responses={200: serializers.MatchSerializer, 400: BAD_REQUEST},
        examples=[OpenApiExample("Keep the match's stance", request_only=True, value={})],
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        match = self.get_object()
        data = _valid(serializers.MatchConfirmSerializer, request)
        match = match_confirm(match=match, user=request.user, stance=data.get("stance"))
        return Response(self._show(match))

    @extend_schema(
        summary="Reject a match",
        description="The two claims are not the same; the matcher never proposes the pair "
        "again. A confirmed match is a 400: remove its evidence links instead. Needs the "
        "reviewer role.",
        request=None,
        responses={200: serializers.MatchSerializer, 400: BAD_REQUEST},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        match = match_reject(match=self.get_object(), user=request.user)
        return Response(self._show(match))

    def _show(self, match):
        match = self.get_queryset().get(pk=match.pk)
        return serializers.MatchSerializer(match, context=self.get_serializer_context()).data


@extend_schema_view(
    list=extend_schema(
        summary="Deleted claims",
        description="Claims deleted from your projects (a re-extraction's replaced "
        "candidates, an editor's deletions), newest first: an incremental export has "
        "only the claims that still exist, so a consumer drops those listed here since "
        "its last export (`deleted_after`, the same watermark as `updated_after`).",
    ),
)
class DeletedClaimViewSet(ApiView, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.DeletedClaimSerializer
    filterset_class = filters.DeletedClaimFilter
    ordering_fields = ["id", "deleted_at"]

    def get_queryset(self):
        return self.scoped(DeletedClaim.objects, "project").select_related("project")


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _delete(view, delete) -> Response:
    """A DELETE that may name the version it was shown (``?version=``):
    ``delete(version)`` removes, or raises StaleWrite for a 409."""
    try:
        delete(_delete_version(view.request))
    except StaleWrite as exc:
        return stale_response(exc, view.get_serializer_context())
    return Response(status=status.HTTP_204_NO_CONTENT)


def _delete_version(request) -> int | None:
    value = request.query_params.get("version")
    if value is None:
        return None
    if not value.isdecimal() or len(value) > 10:
        from rest_framework.exceptions import ValidationError

        raise ValidationError({"version": ["A version is a whole number, 0 or more."]})
    return int(value)


def _project_for(user, slug: str, role: str) -> Project:
    """The project named in a request body: unknown and not-a-member read
    the same (a 400 on the field), a role too low is a 403."""
    from rest_framework.exceptions import ValidationError

    project = Project.objects.for_user(user).filter(slug=slug).first()
    if project is None:
        raise ValidationError({"project": [f"No project {slug!r} among yours."]})
    require_role(project, user, role)
    return project
