"""DATABASE_POOL_MAX_SIZE: PostgreSQL connections from psycopg's pool (settings.base)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL only")
def test_a_process_takes_its_connections_from_a_pool_of_the_size_configured():
    script = (
        "from django.db import connection; connection.ensure_connection(); "
        "print(type(connection.pool).__name__, connection.pool.max_size, connection.settings_dict['CONN_MAX_AGE'])"
    )
    database = settings.DATABASES["default"]
    environment = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "academy.settings.test", "DATABASE_POOL_MAX_SIZE": "6",
        # The server's own database, which every test run has: the pool only needs to connect.
        "DATABASE_URL": f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}/postgres",
    }
    output = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=REPOSITORY, env=environment,
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.split()
    assert output[-3:] == ["ConnectionPool", "6", "0"]
