"""manage.py load_demo: everything a demonstration needs, in one command that is safe to run again.

Regions (the real Zhejiang divisions), then the roster and a demo account for every role (people.py), the CMS
home page with announcements (pages.py), the courses, session and plans (courses.py), the assessment centre
and sessions (certification.py) and the recorded indicators (indicators.py); the accounts are printed at the end.
"""
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from academy.demo.certification import certification_load
from academy.demo.courses import courses_load
from academy.demo.indicators import indicators_load
from academy.demo.pages import pages_load
from academy.demo.people import (
    DEFAULT_CITIES, SMALL_SIZES, accounts_print, delete_demo_data, demo_accounts_create, roster_load,
)
from academy.organisation.models import Region, RegionLevel
from academy.organisation.regions import load_divisions


class Command(BaseCommand):
    help = (
        "Load the demo data: Zhejiang regions, synthetic villages, institutions, people and posts for two "
        "cities (or the whole province), the CMS home page, and a demo account for every role. Running it "
        "again adds nothing that is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", choices=["cities", "province"], default="cities",
            help="cities: 杭州市 and 丽水市 (about 6,000 people); province: all 11 cities (about 25,000 people)",
        )
        parser.add_argument(
            "--cities", nargs="+", metavar="CODE", help="only these cities, e.g. --cities 3311 (overrides --scale)"
        )
        parser.add_argument(
            "--small", action="store_true",
            help="one or two villages per township and a few carers per institution (for tests)",
        )
        parser.add_argument("--seed", type=int, default=2026, help="the same seed gives the same people")
        parser.add_argument(
            "--reset", action="store_true",
            help="first delete the whole roster (people, posts, their accounts), the demo institutions, the "
            "synthetic villages and the demo accounts: for a demo database only",
        )

    def handle(self, *args, scale, cities, small, seed, reset, **options):
        started = time.perf_counter()
        with transaction.atomic():
            if reset:
                self.stdout.write("Deleting the roster and the demo data (--reset)")
                delete_demo_data()
            created, updated = load_divisions()
            self.stdout.write(f"Regions: {created} created, {updated} updated (Zhejiang, province to township)")
            all_cities = list(Region.objects.filter(level=RegionLevel.CITY).values_list("code", flat=True))
            city_codes = cities or (all_cities if scale == "province" else DEFAULT_CITIES)
            unknown = set(city_codes) - set(all_cities)
            if unknown:
                raise CommandError(f"Not city codes: {', '.join(sorted(unknown))}")
            roster_load(
                city_codes=city_codes, seed=seed, sizes=SMALL_SIZES if small else {},
                stdout=self.stdout, style=self.style,
            )
            pages_load(stdout=self.stdout)
            courses_load(stdout=self.stdout, style=self.style)
            accounts = demo_accounts_create(city_codes=city_codes)
            certification_load(stdout=self.stdout, style=self.style)
            indicators_load(stdout=self.stdout)
        accounts_print(rows=accounts, stdout=self.stdout, style=self.style)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {time.perf_counter() - started:.1f} s"))
