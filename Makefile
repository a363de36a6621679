# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM ?= /usr/bin/chromium
A11Y := tests/a11y
AXE := $(A11Y)/node_modules/.installed

.PHONY: run test lint bench simulator clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

## run: start the studio on http://127.0.0.1:7860 (demo mode with no EVOLINK_API_KEY)
run: $(VENV)/.installed
	$(PY) app.py

## test: lint, then the whole suite (browser tests use Debian's chromium, the a11y test axe-core, the
## store tests a throwaway PostgreSQL server, the replicas test Debian's nginx; each must then be there:
## no skipping). Two workers (pytest-xdist), each taking whole test files, so each module's one app stays
## in one process.
test: chromium postgres nginx $(VENV)/.installed-dev $(AXE)
	$(VENV)/bin/ruff check .
	SEEDANCE_TEST_CHROMIUM="$(CHROMIUM)" SEEDANCE_TEST_POSTGRES=required SEEDANCE_TEST_NGINX=required \
		$(PY) -m pytest -n 2 --dist loadfile

## chromium: make sure Debian's chromium (browser tests) and a CJK font (demo clips) are installed;
## as root it installs what is missing, otherwise it stops (exit 1) and prints the command to run
.PHONY: chromium
CJK_FONT ?= /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
INSTALL_BROWSER := sudo apt-get update && sudo apt-get install -y chromium fonts-wqy-microhei
chromium:
	@missing=""; \
	[ -x "$(CHROMIUM)" ] || missing="$$missing $(CHROMIUM) (Debian's chromium, for the browser tests);"; \
	[ -f "$(CJK_FONT)" ] || missing="$$missing $(CJK_FONT) (fonts-wqy-microhei, for the demo-clip test);"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != "0" ]; then \
		echo "Stopping: the tests need what is missing here:$$missing" >&2; \
		echo "Install it, then run make test again:  $(INSTALL_BROWSER)" >&2; \
		exit 1; \
	fi; \
	echo "Installing Debian's chromium and fonts-wqy-microhei for the tests..."; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null \
		|| { echo "Stopping: installing chromium and fonts-wqy-microhei failed (see above)." >&2; exit 1; }; \
	if [ ! -x "$(CHROMIUM)" ] || [ ! -f "$(CJK_FONT)" ]; then \
		echo "Stopping: still missing after the install: $(CHROMIUM) or $(CJK_FONT)." >&2; exit 1; \
	fi

## postgres: make sure Debian's PostgreSQL server is installed (the store tests start a throwaway one in a
## temporary directory; nothing is started here); as root it installs it, otherwise it stops (exit 1)
.PHONY: postgres
INSTALL_POSTGRES := sudo apt-get update && sudo apt-get install -y postgresql
postgres:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" != "0" ]; then \
		echo "Stopping: the store tests need Debian's PostgreSQL server (initdb, pg_ctl, postgres)." >&2; \
		echo "Install it, then run make test again:  $(INSTALL_POSTGRES)" >&2; \
		exit 1; \
	fi; \
	echo "Installing Debian's postgresql for the store tests..."; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
		|| { echo "Stopping: installing postgresql failed (see above)." >&2; exit 1; }; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| { echo "Stopping: still no PostgreSQL server after the install." >&2; exit 1; }

## nginx: make sure Debian's nginx is installed (the replicas test runs deploy/nginx.conf in front of two
## studio processes, as the current user in a temporary directory; nothing is started here); as root it
## installs it, otherwise it stops (exit 1) and prints the command to run
.PHONY: nginx
NGINX ?= /usr/sbin/nginx
INSTALL_NGINX := sudo apt-get update && sudo apt-get install -y nginx
nginx:
	@if [ -x "$(NGINX)" ]; then exit 0; fi; \
	if [ "$$(id -u)" != "0" ]; then \
		echo "Stopping: the replicas test needs Debian's nginx at $(NGINX)." >&2; \
		echo "Install it, then run make test again:  $(INSTALL_NGINX)" >&2; \
		exit 1; \
	fi; \
	echo "Installing Debian's nginx for the replicas test..."; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null \
		|| { echo "Stopping: installing nginx failed (see above)." >&2; exit 1; }; \
	[ -x "$(NGINX)" ] || { echo "Stopping: still no $(NGINX) after the install." >&2; exit 1; }

## axe-core for tests/test_ui_a11y.py, at the exact version in tests/a11y/package-lock.json (npm ci); again
## when the lock changes. npm ci empties node_modules first, so the stamp inside it goes with a failed run.
$(AXE): $(A11Y)/package.json $(A11Y)/package-lock.json
	@command -v npm >/dev/null || { echo "The accessibility test needs Node.js and npm (v18 or newer). Run: sudo apt-get install -y nodejs npm"; exit 1; }
	npm ci --prefix $(A11Y) --no-audit --no-fund
	touch $@

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

## bench: measure the studio against a naive client and bare Gradio; writes BENCHMARKS.md
bench: $(VENV)/.installed-dev chromium postgres
	$(PY) -m bench

## simulator: run the contract simulator alone on http://127.0.0.1:8000
simulator: $(VENV)/.installed
	$(PY) -m seedance_ui.simulator --port 8000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache screenshots $(A11Y)/node_modules
