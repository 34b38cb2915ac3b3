# The two commands a new machine needs: `make demo` and `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: demo test lint browser serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: install, migrate, seed the synthetic demo clinic, print the logins, serve on :8000
demo: $(STAMP)
	$(BIN)/afterglow demo

## serve: migrate and serve (honours AFTERGLOW_* settings)
serve: $(STAMP)
	$(BIN)/afterglow serve

## test: lint, type-check and run every test on SQLite and PostgreSQL (and in Chromium),
## one pytest process per core (each with its own databases and servers)
test: $(STAMP) lint browser
	$(BIN)/pytest -n auto

## browser: Debian's Chromium for the browser tests, installed when missing (as root, with apt)
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench
	$(BIN)/mypy

## bench: the benchmarks (print ratios; not part of CI)
bench: $(STAMP)
	$(BIN)/python bench/checkin_write.py
	$(BIN)/python bench/relief.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/tick_scale.py
	$(BIN)/python bench/pwa_weight.py
	$(BIN)/python bench/clinic_weight.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
