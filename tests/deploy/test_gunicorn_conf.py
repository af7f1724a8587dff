"""deploy/gunicorn.conf.py, loaded as gunicorn loads it, under the environment an operator sets."""
import runpy
from pathlib import Path

import pytest
from gunicorn.config import Config

CONFIGURATION = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"
VARIABLES = ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_MAX_REQUESTS",
             "DATABASE_POOL_MAX_SIZE", "PROMETHEUS_MULTIPROC_DIR", "LOG_LEVEL")


@pytest.fixture
def environment(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def loaded() -> Config:
    """What gunicorn does with --config: run the file, then take each of its names that is a setting."""
    config = Config()
    for name, value in runpy.run_path(str(CONFIGURATION)).items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_threads_workers_and_address_come_from_the_environment(environment):
    environment.setenv("GUNICORN_BIND", "127.0.0.1:8123")
    environment.setenv("GUNICORN_WORKERS", "3")
    environment.setenv("GUNICORN_THREADS", "6")
    environment.setenv("GUNICORN_TIMEOUT", "45")
    environment.setenv("DATABASE_POOL_MAX_SIZE", "6")
    config = loaded()
    assert config.bind == ["127.0.0.1:8123"]
    assert (config.workers, config.threads, config.timeout) == (3, 6, 45)
    assert config.worker_class_str == "gthread"


def test_defaults_listen_on_this_machine_only_and_log_to_stdout(environment):
    config = loaded()
    assert config.bind == ["127.0.0.1:8000"]
    assert config.threads == 4 and config.workers >= 2
    assert config.accesslog == "-" and config.errorlog == "-"
    assert config.max_requests > 0 and config.max_requests_jitter > 0
    assert config.control_socket_disable  # systemd manages it


def test_a_database_pool_smaller_than_the_threads_is_refused(environment):
    environment.setenv("GUNICORN_THREADS", "8")
    environment.setenv("DATABASE_POOL_MAX_SIZE", "4")
    with pytest.raises(SystemExit, match="DATABASE_POOL_MAX_SIZE"):
        loaded()


def test_each_start_empties_the_metrics_folder(environment, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_12345.db").write_bytes(b"figures of a process gone")
    environment.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    config = loaded()
    config.on_starting(None)
    assert folder.is_dir() and list(folder.iterdir()) == []
