"""deploy/systemd: every service reads the one environment file as the service user, and the rehearsal
(.ci/rehearsal) starts what the units start."""
import configparser
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
REHEARSAL = (DEPLOY.parent / ".ci" / "rehearsal").read_text()
SERVICES = ["academy-web", "academy-worker", "academy-housekeeping", "academy-beat", "academy-backup"]


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_reads_the_environment_file_as_the_service_user(name):
    service = unit(f"{name}.service")["Service"]
    assert service["EnvironmentFile"] == "/etc/academy/academy.env"
    assert service["User"] == service["Group"] == "academy"
    assert service["WorkingDirectory"] == "/srv/academy/app"


@pytest.mark.parametrize("name, command", [
    ("academy-web", "gunicorn --config deploy/gunicorn.conf.py academy.wsgi"),
    ("academy-worker", "celery --app academy worker --queues celery"),
    ("academy-housekeeping", "celery --app academy worker --queues housekeeping"),
    ("academy-beat", "celery --app academy beat"),
])
def test_the_rehearsal_starts_what_the_unit_starts(name, command):
    assert f"/srv/academy/venv/bin/{command}" in unit(f"{name}.service")["Service"]["ExecStart"]
    assert f".venv/bin/{command}" in REHEARSAL


@pytest.mark.parametrize("name", ["academy-web", "academy-worker", "academy-housekeeping", "academy-beat"])
def test_the_services_belong_to_the_target(name):
    parsed = unit(f"{name}.service")
    assert parsed["Unit"]["PartOf"] == "academy.target"
    assert parsed["Install"]["WantedBy"] == "academy.target"


def test_the_backup_timer_runs_the_backup_script_nightly():
    assert "deploy/backup.sh /var/backups/academy" in unit("academy-backup.service")["Service"]["ExecStart"]
    timer = unit("academy-backup.timer")["Timer"]
    assert timer["OnCalendar"].startswith("*-*-* ") and timer["Persistent"] == "true"
