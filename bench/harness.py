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


# --- Figures against their floor ------------------------------------------------------------------------


def load_average() -> str:
    """The first three fields of /proc/loadavg, printed beside every figure: on a shared machine the ratio
    to the floor of the same run is what counts, and the load says how far to trust both."""
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def report(label: str, figure: float, floor: float, unit: str, *, target: float | None = None) -> str:
    """One line: the figure, its floor from the same run, floor ÷ figure (1.0: as fast as the floor), the
    target if any, and the load average."""
    ratio = floor / figure if figure else float("nan")
    verdict = "" if target is None else (f", target < {target:g} {unit} " + ("ok" if figure < target else "MISSED"))
    line = (f"{label}: {figure:.1f} {unit}, floor {floor:.1f} {unit}, ratio {ratio:.2f}{verdict} "
            f"(loadavg {load_average()})")
    print(line, flush=True)
    return line


def national_django_set_up(database: str, *, scale: float, reuse: bool, **variables: str):
    """Django on the synthetic nation of national_data.py: the data set kept in ``database`` by an earlier run
    (national_scale.py --keep, or this with --keep) when ``reuse``, else generated there at ``scale``
    (minutes to tens of minutes). Returns the Nation."""
    if not reuse:
        database_create(database)
    django_set_up(environment(database_url(database), **variables))
    import national_data
    from django.db import connection

    if reuse:
        return national_data.nation_of_database()
    migrate(divisions=False)  # national_data.generate loads them
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    return national_data.generate(scale=scale, seed=4)


def national_arguments(parser, default_database: str) -> None:
    """The options of every script that measures the synthetic nation."""
    parser.add_argument("--database", default=default_database)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the nation to generate (0.1: a tenth)")
    parser.add_argument("--reuse", action="store_true", help="measure the data set an earlier run kept in --database")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")


def national_tear_down(options) -> None:
    """After a script of the nation (national_arguments): its connections closed, its database dropped unless
    kept (--keep) or an earlier run's (--reuse)."""
    if "django" in sys.modules:  # set up by national_django_set_up, unless the script failed before it
        from django.db import connections

        connections.close_all()
    if not options.keep and not options.reuse:
        database_drop(options.database)
