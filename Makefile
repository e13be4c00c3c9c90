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

PWA_SOURCES := $(shell find pwa/src pwa/public -type f 2>/dev/null) pwa/index.html pwa/vite.config.js locales/zh.json locales/en.json

pwa/node_modules/.installed: pwa/package.json pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund --loglevel=error
	touch $@

pwa/dist/index.html: pwa/node_modules/.installed $(PWA_SOURCES)
	cd pwa && npm run --silent build

pwa: pwa/dist/index.html

setup: $(BIN)/.installed pwa

browser:
	@scripts/ensure-chromium.sh

db: setup
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask demo simulate --days 28 --if-empty

run: db
	@echo "Battlemap: http://127.0.0.1:$(PORT)  (log in as rep@demo.battlemap / demo-password)"
	@if [ -n "$$DISPLAY" ] || [ "$$(uname)" = Darwin ]; then \
	  (sleep 2; $(BIN)/python -m webbrowser -t "http://127.0.0.1:$(PORT)" >/dev/null 2>&1) & fi
	PORT=$(PORT) $(BIN)/python wsgi.py

lint: setup
	$(BIN)/ruff check .

test: setup lint browser
	cd pwa && npm test --silent
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) pwa/node_modules pwa/dist instance .pytest_cache
