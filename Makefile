# The few commands people type. `make run` and `make test` are the README's two commands.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# Tests run against PostgreSQL and Redis on this machine unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/plexkiosk
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0

.PHONY: setup run demo test test-prerequisites bench lint format services lock clean messages

$(VENV)/.installed: requirements/base.txt requirements/dev.txt requirements/constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

.env:
	python3 scripts/write_env.py

setup: $(VENV)/.installed .env  ## virtualenv, dependencies, .env

run: setup  ## web, worker and beat together (embedded default unless .env says otherwise)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py ensure_admin
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho --procfile Procfile --env .env start

demo: setup  ## the whole flow with simulated Plex, indexer, TMDB and qBittorrent
	$(PY) manage.py demo

# Before setup: a fresh machine may lack python3-venv too. As root it installs what is
# missing; otherwise it names the command to run, and no test starts.
test-prerequisites:  ## the Debian programs the suite drives (installed when run as root)
	@scripts/test_prerequisites.sh

test: test-prerequisites setup  ## the whole test suite, against PostgreSQL and Redis
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) scripts/with_mount_rights.sh $(BIN)/pytest $(PYTEST_ARGS)

bench: setup  ## benchmarks, printing tables of numbers
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(PY) -m tests.benchmarks $(BENCH)

lint: setup  ## ruff, the Dockerfile and the compose file
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint docker/Dockerfile
	docker-compose -f docker/compose.yml config --quiet

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

services:  ## start PostgreSQL and Redis here if they are not running (needs root)
	scripts/ensure_services.sh

lock: setup  ## re-pin every installed package into requirements/constraints.txt
	echo "# Every installed package pinned (pip freeze of requirements/dev.txt); regenerate with \`make lock\`." > requirements/constraints.txt
	$(BIN)/pip freeze --exclude-editable >> requirements/constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

messages: setup  ## refresh locale/*/django.po from the code, and compile them (needs gettext)
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=data --ignore=tests --ignore="*/simulators/*"
	$(PY) manage.py compilemessages --ignore=.venv
