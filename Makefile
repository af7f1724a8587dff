# The two commands of the README: `make demo` and `make test`. Both start from nothing but Python 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test install install-test

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(PY)
	$(PY) -m pip install --quiet -e .
	$(PY) manage.py compilemessages --ignore '.venv' -v0 || echo "gettext missing: using the committed translations"

install-test: $(PY)
	$(PY) -m pip install --quiet -e '.[test]'

# Install, migrate a SQLite database, load the demo data, print the demo accounts, serve on :8000.
demo: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:8000

# Install and run the whole test suite (see .ci/test: checks, unit, PostgreSQL + Redis + Celery, browser).
test: install-test
	bash .ci/test
