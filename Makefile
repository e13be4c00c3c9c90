# Battlemap — `make run` (set up + serve the demo), `make test` (set up + whole suite), `make bench`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test bench setup db lint clean pwa browser

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

pwa/public/vendor/.built: pwa/package.json pwa/package-lock.json pwa/build.mjs
	cd pwa && npm ci --no-audit --no-fund --loglevel=error
	node pwa/build.mjs
	touch $@

pwa: pwa/public/vendor/.built

setup: $(BIN)/.installed pwa

browser:
	@scripts/ensure-chromium.sh

db: setup
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty

run: db
	@echo "Battlemap: http://127.0.0.1:$(PORT)  (log in as rep@demo.battlemap / demo-password)"
	@if [ -n "$$DISPLAY" ] || [ "$$(uname)" = Darwin ]; then \
	  (sleep 2; $(BIN)/python -m webbrowser -t "http://127.0.0.1:$(PORT)" >/dev/null 2>&1) & fi
	PORT=$(PORT) $(BIN)/python wsgi.py

lint: setup
	$(BIN)/ruff check .

test: setup lint browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) pwa/node_modules pwa/public/vendor instance .pytest_cache
