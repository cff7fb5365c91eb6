# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.PHONY: run test install migrate demo lint bench messages clean

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: $(PYTHON) not found"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo_data

run: demo
	$(BIN)/python manage.py runconsole

# The suite runs in as many processes as there are cores, at most 8 (pytest-xdist; each has its own test
# database, cache and broker: console/settings_test.py). PYTEST_PROCESSES=0 runs it in this process.
# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: rewriting the test modules' asserts is
# half of each process's 24 s of collection, and the next run reads them (__pycache__ is git-ignored).
PYTEST_PROCESSES ?= auto
test: install
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(PYTEST_PROCESSES) --maxprocesses=8 --dist worksteal $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/scan.py
	$(BIN)/python bench/review_queue.py
	$(BIN)/python bench/distribution_queue.py
	$(BIN)/python bench/upload_latency.py
	$(BIN)/python bench/gate.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ingest_live.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/idempotency.py

# Regenerate and compile the translation catalogs (needs GNU gettext); the compiled .mo files are committed.
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var .pytest_cache
