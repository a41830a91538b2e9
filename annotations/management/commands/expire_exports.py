"""Delete the files of background exports older than the retention period.

The worker does this after every export; run this from cron as well where
exports are rare, so old files do not wait for the next one.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from annotations.services.exports import export_jobs_expire


class Command(BaseCommand):
    help = (
        "Delete the files of background exports finished more than "
        "FACTCHECK_EXPORT_RETENTION_DAYS ago (the jobs stay, marked expired)."
    )

    def handle(self, *args, **options):
        expired = export_jobs_expire()
        days = settings.FACTCHECK_EXPORT_RETENTION_DAYS
        self.stdout.write(f"{expired} export(s) older than {days} day(s) expired.")
