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
## no skipping). Three workers (pytest-xdist) on two cores: the browser tests wait on pages and the
## replica tests on processes; each worker takes whole test files, so each module's one app stays in one
## process.
test: chromium postgres nginx $(VENV)/.installed-dev $(AXE)
	$(VENV)/bin/ruff check .
	SEEDANCE_TEST_CHROMIUM="$(CHROMIUM)" SEEDANCE_TEST_POSTGRES=required SEEDANCE_TEST_NGINX=required \
		$(PY) -m pytest -n 3 --dist loadfile

# $(call need_debian,TEST,PACKAGES,WHAT): nothing when the shell TEST holds; as root, apt-get installs
# Debian's PACKAGES (for WHAT) and TEST must hold after; otherwise stop (exit 1) with the command to run.
define need_debian
	@if $(1); then exit 0; fi; \
	if [ "$$(id -u)" != "0" ]; then \
		echo "Stopping: Debian's $(2) (for $(3)) is missing here." >&2; \
		echo "Install it, then run make test again:  sudo apt-get update && sudo apt-get install -y $(2)" >&2; \
		exit 1; \
	fi; \
	echo "Installing Debian's $(2) for $(3)..."; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null \
		|| { echo "Stopping: installing $(2) failed (see above)." >&2; exit 1; }; \
	$(1) || { echo "Stopping: still missing after installing $(2)." >&2; exit 1; }
endef

## chromium: Debian's chromium (browser tests) and a CJK font (demo clips), installed when missing (as root)
.PHONY: chromium postgres nginx
CJK_FONT ?= /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
chromium:
	$(call need_debian,[ -x "$(CHROMIUM)" ] && [ -f "$(CJK_FONT)" ],chromium fonts-wqy-microhei,the browser tests)

## postgres: Debian's PostgreSQL server (the store tests start a throwaway one in a temporary directory;
## nothing is started here), installed when missing (as root)
postgres:
	$(call need_debian,ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1,postgresql,the store tests)

## nginx: Debian's nginx (the replicas test runs deploy/nginx.conf in front of two studio processes, as
## the current user in a temporary directory; nothing is started here), installed when missing (as root)
NGINX ?= /usr/sbin/nginx
nginx:
	$(call need_debian,[ -x "$(NGINX)" ],nginx,the replicas test)

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
