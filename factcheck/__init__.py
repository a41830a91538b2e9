# Import the Celery app when Django starts so that @shared_task binds to it and
# `delay_on_commit` uses the configured broker.
from .celery import app as celery_app

__all__ = ("celery_app",)
