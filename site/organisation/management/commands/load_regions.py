from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from academy.organisation.regions import ZHEJIANG_DIVISIONS, DivisionFileError, load_divisions


class Command(BaseCommand):
    help = "Load administrative divisions (province to township) from a CSV; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=ZHEJIANG_DIVISIONS, help="CSV: code,name,level,parent_code")

    def handle(self, *args, file, **options):
        try:
            created, updated = load_divisions(file)
        except (DivisionFileError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Regions: {created} created, {updated} updated from {file}")
