"""Web pages of the API side: the profile page with API tokens, export downloads."""

urlpatterns = []
