"""API routes, mounted at /api/v1/.

The API authenticates with tokens as well as sessions, so its views are
exempt from the site's LoginRequiredMiddleware: DRF answers 401 itself.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from annotations.api import export_views, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("projects", views.ProjectViewSet, basename="project")
router.register("articles", views.ArticleViewSet, basename="article")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("verdicts", views.VerdictViewSet, basename="verdict")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("sources", views.SourceViewSet, basename="source")
router.register("matches", views.MatchViewSet, basename="match")
router.register("deleted-claims", views.DeletedClaimViewSet, basename="deletedclaim")
router.register("exports", export_views.ExportJobViewSet, basename="exportjob")

app_name = "api"

urlpatterns = [
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]

for pattern in urlpatterns:
    pattern.callback = login_not_required(pattern.callback)
