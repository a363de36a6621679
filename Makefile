# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM ?= /usr/bin/chromium

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

## test: lint, then the whole suite (browser tests use Debian's chromium)
test: $(VENV)/.installed-dev chromium
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

## chromium: install Debian's chromium (browser tests) and a CJK font (demo clips) when missing (as root)
.PHONY: chromium
CJK_FONT ?= /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
chromium:
	@if [ -x "$(CHROMIUM)" ] && [ -f "$(CJK_FONT)" ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Debian's chromium and fonts-wqy-microhei for the tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	else \
		echo "The tests need Debian's chromium and fonts-wqy-microhei. Run: sudo apt-get update && sudo apt-get install -y chromium fonts-wqy-microhei"; \
	fi

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

## bench: measure the studio against a naive client and bare Gradio; writes BENCHMARKS.md
bench: $(VENV)/.installed-dev chromium
	$(PY) -m bench

## simulator: run the contract simulator alone on http://127.0.0.1:8000
simulator: $(VENV)/.installed
	$(PY) -m seedance_ui.simulator --port 8000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache screenshots
