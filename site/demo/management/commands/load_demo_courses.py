"""manage.py load_demo_courses: the demo courses, a face-to-face session and this year's plans
(academy.demo.courses)."""
from django.core.management.base import BaseCommand

from academy.demo.courses import courses_load


class Command(BaseCommand):
    help = (
        "Load the demo courses (one per tier, with lessons, videos, exams and question banks) and a "
        "face-to-face session for the child directors of 西湖区. Running it again adds nothing that is there."
    )

    def handle(self, *args, **options):
        courses_load(stdout=self.stdout, style=self.style)
