"""manage.py load_demo_pages: the CMS home page, announcements and help page of the demo (academy.demo.pages)."""
from django.core.management.base import BaseCommand

from academy.demo.pages import pages_load


class Command(BaseCommand):
    help = "Make a HomePage the root of the default site and add the demo announcements and help page."

    def handle(self, *args, **options):
        pages_load(stdout=self.stdout)
