# Luoshi: `make demo` and `make test` are all a new machine needs (README).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
LUOSHI  := $(BIN)/luoshi
VENDOR  := luoshi/static/vendor
export LUOSHI_DATA_DIR ?= $(CURDIR)/var

.PHONY: venv assets migrate demo serve test test-fast bench reliability lint messages clean

$(BIN)/luoshi: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/luoshi

# Front-end assets come from the npm registry at build time and are served locally: offices
# run on intranets, so pages never reach a CDN.
$(VENDOR)/bootstrap/bootstrap.min.css: package.json
	npm install --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/bootstrap
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/

# Tom Select (Apache-2.0): the searchable, ordered unit pickers of the task form.
$(VENDOR)/tom-select/tom-select.complete.min.js: package.json
	npm install --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/tom-select
	cp node_modules/tom-select/dist/js/tom-select.complete.min.js node_modules/tom-select/dist/css/tom-select.bootstrap5.min.css $(VENDOR)/tom-select/

# Apache ECharts (Apache-2.0): the cockpit's charts.
$(VENDOR)/echarts/echarts.min.js: package.json
	npm install --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/echarts
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/

assets: $(VENDOR)/bootstrap/bootstrap.min.css $(VENDOR)/tom-select/tom-select.complete.min.js $(VENDOR)/echarts/echarts.min.js

migrate: venv
	$(LUOSHI) migrate --noinput -v0

# The worker runs beside the server and stops with it.
demo: venv assets migrate
	$(LUOSHI) demo --if-empty
	$(LUOSHI) worker & WORKER=$$!; trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(LUOSHI) runserver 127.0.0.1:8000

# Two workers (pytest-xdist), one per core: the suite takes half the time.
test: venv assets
	$(BIN)/pytest -n 2

test-fast: venv
	$(BIN)/pytest -m "not browser"

bench: venv assets
	$(BIN)/python -m bench.run

# Fuzzing, audit tampering and backup/restore against a real server (docs/reliability.md).
reliability: venv assets
	$(BIN)/python -m reliability.run

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

messages: venv
	cd luoshi && ../$(LUOSHI) makemessages -l zh_Hans --no-obsolete --ignore "*/tests/*" && ../$(LUOSHI) compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var .pytest_cache
