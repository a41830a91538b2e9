from django.urls import path

from annotations import views
from annotations.views.agreement import project_agreement
from annotations.views.sources import source_excerpt

article = "p/<slug:slug>/articles/<int:pk>/"
claim = "p/<slug:slug>/claims/<int:pk>/"

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("p/<slug:slug>/", views.project_detail, name="project_detail"),
    path("p/<slug:slug>/progress/", views.project_progress, name="project_progress"),
    path("p/<slug:slug>/import/", views.article_import, name="article_import"),
    path("p/<slug:slug>/articles/", views.article_list, name="article_list"),
    path("p/<slug:slug>/articles/assign/", views.article_list_assign, name="article_list_assign"),
    path(article, views.article_detail, name="article_detail"),
    path(article + "extract/", views.article_extract, name="article_extract"),
    path(article + "status/", views.article_status, name="article_status"),
    path(article + "next/", views.article_next, name="article_next"),
    path(article + "assign/", views.article_assignment, name="article_assignment"),
    path(article + "claims/", views.claim_create, name="claim_create"),
    path(claim, views.claim_detail, name="claim_detail"),
    path(claim + "decide/", views.claim_decide, name="claim_decide"),
    path(claim + "edit/", views.claim_edit, name="claim_edit"),
    path(claim + "verdict/", views.claim_verdict, name="claim_verdict"),
    path(claim + "verdict/withdraw/", views.verdict_withdraw, name="verdict_withdraw"),
    path(claim + "final-verdict/", views.claim_final_verdict, name="claim_final_verdict"),
    path(claim + "evidence/", views.evidence_create, name="evidence_create"),
    path(claim + "evidence/targets/", views.evidence_targets, name="evidence_targets"),
    path(claim + "evidence/<int:link_pk>/", views.evidence_update, name="evidence_update"),
    path(claim + "evidence/<int:link_pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path(
        "p/<slug:slug>/evidence/<int:pk>/excerpt/",
        views.evidence_excerpt,
        name="evidence_excerpt",
    ),
    path(claim + "matches/<int:match_pk>/", views.match_decide, name="match_decide"),
    path("p/<slug:slug>/sources/<int:pk>/", views.source_detail, name="source_detail"),
    path("p/<slug:slug>/sources/<int:pk>/retry/", views.source_retry, name="source_retry"),
    path("p/<slug:slug>/sources/<int:pk>/excerpt/", source_excerpt, name="source_excerpt"),
    path("p/<slug:slug>/across/", views.claims_across, name="claims_across"),
    path("p/<slug:slug>/agreement/", project_agreement, name="project_agreement"),
]
