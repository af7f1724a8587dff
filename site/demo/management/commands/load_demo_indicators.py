"""manage.py load_demo_indicators: five years of the plan's recorded indicators (academy.demo.indicators)."""
from django.core.management.base import BaseCommand

from academy.demo.indicators import indicators_load


class Command(BaseCommand):
    help = "Record demo values of the plan's indicators for 2021-2025 (as the province administrator)."

    def handle(self, *args, **options):
        indicators_load(stdout=self.stdout)
