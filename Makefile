# Every target sets up what it needs itself, on a fresh Debian 12 machine, and can be
# run again at no cost (apt and pip steps are skipped when already done).

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SITE := $(VENV)/lib/python3.11/site-packages
APT_PACKAGES := qgis python3-qgis qgis-providers python3-venv python3-matplotlib xvfb xauth
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export QT_QPA_PLATFORM ?= offscreen
export XDG_RUNTIME_DIR ?= /tmp/runtime-$(shell id -u)

.PHONY: setup lint test demo bench package translations clean

setup: $(VENV)/.installed $(SITE)/flair_landcover $(VENV)/bin/flair-landcover

.apt-stamp:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@touch $@

# --system-site-packages: the venv must see QGIS's own Python bindings (qgis, osgeo).
$(VENV)/.installed: .apt-stamp requirements.txt requirements-dev.txt
	@[ -x $(PY) ] || /usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# The repository is the plugin package; expose it under its installed name.
$(SITE)/flair_landcover: $(VENV)/.installed
	ln -sfn "$(CURDIR)" $@

$(VENV)/bin/flair-landcover: $(VENV)/.installed scripts/flair-landcover
	install -m 755 scripts/flair-landcover $@
	sed -i "1s|.*|#!$(CURDIR)/$(PY)|" $@

# ruff, configured in ruff.toml; `make test` lints first.
lint: setup
	$(VENV)/bin/ruff check .

test: setup lint
	mkdir -p $(XDG_RUNTIME_DIR) && chmod 700 $(XDG_RUNTIME_DIR)
	$(PY) -m pytest -q tests

demo: setup
	mkdir -p $(XDG_RUNTIME_DIR) && chmod 700 $(XDG_RUNTIME_DIR)
	$(PY) scripts/demo.py --output demo-output

# Figures, not pass/fail: `make bench BENCH_ARGS=--quick` for a smoke run,
# `BENCH_ARGS="--device cuda"` on a GPU machine.
BENCH_ARGS ?=
bench: setup
	$(PY) benchmarks/bench_inference.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_training.py $(BENCH_ARGS)
	$(PY) benchmarks/bench_catalogue.py $(BENCH_ARGS)

# The zip compiles the translations (lrelease: i18n/*.ts -> .qm) and ships the .qm.
package:
	/usr/bin/python3 scripts/package.py --output dist/flair_landcover.zip

# Developers: re-extract the texts of the code into i18n/*.ts (pylupdate5; translations
# already made are kept), then compile the .qm that QGIS loads. After a merge, run it,
# translate the new <translation type="unfinished"> entries, commit the .ts.
translations:
	/usr/bin/python3 scripts/translations.py

clean:
	rm -rf dist demo-output .pytest_cache
