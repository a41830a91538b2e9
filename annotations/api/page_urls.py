"""Web pages of the API side: the profile page with API tokens, export downloads."""

from django.urls import path

from annotations.api import pages

urlpatterns = [
    path("profile/", pages.profile, name="api_profile"),
    path("profile/tokens/<int:pk>/revoke/", pages.token_revoke_view, name="api_token_revoke"),
    path("p/<slug:slug>/export/<str:fmt>/", pages.export_download, name="export_download"),
    path("p/<slug:slug>/exports/", pages.export_job_start, name="export_job_start"),
    path("exports/<uuid:uuid>/", pages.export_job, name="export_job"),
    path("exports/<uuid:uuid>/download/", pages.export_job_download, name="export_job_download"),
]
