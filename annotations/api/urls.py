"""API routes, mounted at /api/v1/."""

urlpatterns = []
