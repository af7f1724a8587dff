"""What every bench script shares: a PostgreSQL database of its own on the local server (127.0.0.1:5432, user
postgres), created empty and dropped at the end, and Django set up against it (the test settings unless a
script says otherwise), migrated, with the real Zhejiang divisions loaded.

The scripts run from the repository (python bench/<script>.py), so this module is imported as ``harness``."""
import os
import sys
from pathlib import Path

import psycopg

REPOSITORY = Path(__file__).resolve().parent.parent
SERVER = "postgresql://postgres@127.0.0.1:5432"


def database_url(database: str) -> str:
    return f"{SERVER}/{database}"


def run_sql(statement: str) -> None:
    """One statement on the server's maintenance database (CREATE and DROP DATABASE cannot run in a
    transaction)."""
    with psycopg.connect(database_url("postgres"), autocommit=True) as connection:
        connection.execute(statement)


def database_create(database: str, *, template: str | None = None) -> None:
    """An empty database named ``database`` (a copy of ``template`` when given), replacing any left over."""
    database_drop(database)
    run_sql(f"CREATE DATABASE {database}" + (f" TEMPLATE {template}" if template else ""))


def database_drop(database: str) -> None:
    run_sql(f"DROP DATABASE IF EXISTS {database}")


def environment(url: str, *, settings: str = "academy.settings.test", **variables: str) -> dict[str, str]:
    """The environment of a Django process (this one, a server, a worker) on the database at ``url``."""
    return {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": settings, **variables}


def django_set_up(variables: dict[str, str]) -> None:
    """Set up Django in this process with ``variables`` (see environment) added to its environment."""
    sys.path.insert(0, str(REPOSITORY))
    os.environ.update(variables)
    import django

    django.setup()


def migrate(*, divisions: bool = True) -> None:
    """Migrate the database Django is set up on and, unless told not to, load the Zhejiang divisions."""
    from django.core.management import call_command

    from academy.organisation.regions import load_divisions

    call_command("migrate", verbosity=0)
    if divisions:
        load_divisions()
