"""manage.py load_demo_certification: the demo assessment centre and sessions (academy.demo.certification)."""
from django.core.management.base import BaseCommand

from academy.demo.certification import certification_load


class Command(BaseCommand):
    help = "Load the demo assessment centre and sessions (open, in scoring, signed off with certificates)."

    def handle(self, *args, **options):
        certification_load(stdout=self.stdout, style=self.style)
