"""deploy/academy.env.example is the README's configuration table as a file: the same variables, and production
settings start from it once its CHANGE_ME values are filled in."""
import os
import re
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLE = REPOSITORY / "deploy" / "academy.env.example"
# Read by the test settings and the benchmarks only, never by a deployment.
NOT_CONFIGURATION = {"SQLITE_TEST_DATABASE_FILE", "CELERY_TEST_BROKER_URL"}


def readme_variables() -> set[str]:
    """The variables named in the first column of the README's configuration table."""
    section = (REPOSITORY / "README.md").read_text().split("### Configuration", 1)[1].split("\n### ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def example_lines() -> list[tuple[str, str, bool]]:
    """(name, value, set) for each variable of the example, set or left commented at its default."""
    lines = []
    for line in EXAMPLE.read_text().splitlines():
        found = re.match(r"^(#\s?)?([A-Z][A-Z0-9_]+)=(.*)$", line)
        if found:
            lines.append((found[2], found[3], found[1] is None))
    return lines


def variables_read_by_the_code() -> set[str]:
    names = set()
    for path in [*(REPOSITORY / "site").rglob("*.py"), REPOSITORY / "deploy" / "gunicorn.conf.py"]:
        text = path.read_text()
        names.update(re.findall(r"""environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""", text))
    return names - NOT_CONFIGURATION


def test_the_example_lists_every_variable_of_the_readme_and_no_other():
    listed = [name for name, _value, _set in example_lines()]
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    assert set(listed) == readme_variables()


def test_the_readme_table_names_every_variable_the_code_reads():
    assert variables_read_by_the_code() - readme_variables() == set()


def test_production_settings_start_from_the_example_filled_in(tmp_path):
    environment = {key: value for key, value in os.environ.items()
                   if key not in readme_variables() and not key.startswith(("DJANGO_", "SMS_", "AWS_"))}
    for name, value, is_set in example_lines():
        assert "#" not in value or not is_set, f"{name}: systemd does not strip a comment after the value"
        if is_set:
            environment[name] = value.replace("CHANGE_ME", f"filled-in-{name.lower()}-0123456789abcdef")
    # Folders of this test instead of /var/lib/academy and /srv/academy.
    for name in ("STATIC_ROOT", "MEDIA_ROOT", "PRIVATE_MEDIA_ROOT", "PROMETHEUS_MULTIPROC_DIR"):
        environment[name] = str(tmp_path / name.lower())
    loaded = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SMS_BACKEND, settings.DEBUG)"],
        cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["academy.accounts.sms.AliyunSMSBackend", "False"]
    assert environment["DJANGO_SETTINGS_MODULE"] == "academy.settings.production"


def test_the_example_has_nothing_to_fill_in_but_change_me():
    for name, value, is_set in example_lines():
        if is_set and name.endswith(("KEY", "SECRET", "PASSWORD")):
            assert "CHANGE_ME" in value, f"{name} has a value of its own: a secret must be chosen by the operator"
