"""The JSON API (Django REST Framework) and the exports."""
