# The two commands of the README: `make demo` and `make test`. Both start from nothing but Python 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test install install-test ffmpeg

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(PY)
	$(PY) -m pip install --quiet -e .
	$(PY) manage.py compilemessages --ignore '.venv' -v0 || echo "gettext missing: using the committed translations"

install-test: $(PY)
	$(PY) -m pip install --quiet -e '.[test]'

# Lesson videos are transcoded with Debian's ffmpeg (courses/renditions.py): installed here when missing, as root.
ffmpeg:
	@command -v ffmpeg >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; \
	  else echo "ffmpeg is missing: run 'sudo apt-get install ffmpeg' for the videos' 流畅/标清 renditions"; fi; }

# Install, migrate a SQLite database, load the demo data, print the demo accounts, serve on :8000.
demo: install ffmpeg
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:8000

# Install and run the whole test suite (see .ci/test: checks, unit, PostgreSQL + Redis + Celery, browser).
test: install-test ffmpeg
	bash .ci/test
