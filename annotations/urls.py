from django.urls import path

from annotations import views

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("p/<slug:slug>/", views.project_detail, name="project_detail"),
    path("p/<slug:slug>/progress/", views.project_progress, name="project_progress"),
    path("p/<slug:slug>/import/", views.article_import, name="article_import"),
    path("p/<slug:slug>/articles/<int:pk>/", views.article_detail, name="article_detail"),
    path(
        "p/<slug:slug>/articles/<int:pk>/extract/",
        views.article_extract,
        name="article_extract",
    ),
]
