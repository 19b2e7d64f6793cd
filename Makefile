# Efficient Sequence Modeling with GRUs: every command sets up what it needs.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
.PHONY: help venv git-filter js chromium book serve lab practice test exercises bench bench-gpu heldout clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.txt pyproject.toml
	@echo "[1/3] Python 3.11 with venv ..."
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import venv, ensurepip' 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-dev >/dev/null; \
	  else echo "Python 3.11 with venv is needed: install python3.11 and python3.11-venv" >&2; exit 1; fi; fi
	@test -x $(BIN)/python || $(or $(PYTHON),python3) -m venv $(VENV)
	@# pip's own lines show progress; the "location is ignored" notices of local mirrors are dropped
	@echo "[2/3] Installing the pinned requirements into $(VENV): about 1.5 GB, usually 3-8 minutes"
	@echo "      (TensorFlow is most of it; pip prints one line per package it collects) ..."
	@$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt 2>&1 \
	  | { grep -v "is ignored: it is neither a file nor a directory\|^Requirement already satisfied" || true; }
	@touch $@
	@echo "      done."

# Outputs never reach git: nbstripout cleans every notebook on its way into the index (see .gitattributes),
# so running and saving a notebook in JupyterLab leaves `git status` clean.
# Kernel details a run adds to metadata.language_info (the committed notebooks keep only its name).
NBSTRIPOUT_KEYS := $(addprefix metadata.language_info.,codemirror_mode file_extension mimetype nbconvert_exporter \
                   pygments_lexer version)
NBSTRIPOUT := "$(abspath $(BIN))/python" -m nbstripout --keep-id --extra-keys "$(NBSTRIPOUT_KEYS)"
git-filter:  # after $(STAMP) in `make venv`; needs nbstripout in $(VENV)
	@echo "[3/3] Registering nbstripout as the git filter for notebooks ..."
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean '$(NBSTRIPOUT)'; \
	  git config filter.nbstripout.smudge cat; \
	  git config diff.ipynb.textconv '$(NBSTRIPOUT) -t'; \
	else echo "      (not a git clone: nothing to register)"; fi

venv: $(STAMP) git-filter  ## create .venv, install requirements.txt, register the notebook git filter

JS_STAMP := book_js/.stamp
$(JS_STAMP): package.json package-lock.json tools/vendor_js.py
	@$(or $(PYTHON),python3) tools/vendor_js.py

js: $(JS_STAMP)  ## npm ci and copy the book's offline JavaScript into book_js/

chromium:  ## the browser the browser tests drive (Debian chromium; installed with apt when root)
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian chromium for the browser tests ..."; \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "WARNING: the browser tests need chromium: run 'sudo apt-get install chromium' (Debian/Ubuntu)" >&2; fi; fi

book: $(STAMP) $(JS_STAMP)  ## execute every notebook and build the HTML book
	@# cached notebooks keep the widget JS they were executed with: drop the cache when that JS changed
	@if [ -d _build/.jupyter_cache ] && [ -n "$$(find src/grucourse \( -name '*.js' -o -name '*.css' \) -newer _build/.jupyter_cache)" ]; then \
	  echo "widget JS or CSS changed: re-executing the notebooks"; rm -rf _build/.jupyter_cache; fi
	@# every notebook is executed once, two at a time, into the book's cache; the build then reads it
	$(BIN)/python tools/execute_notebooks.py
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going
	@echo "The book is at $(CURDIR)/_build/html/index.html (make serve shows it on http://127.0.0.1:8000)"

serve:  ## serve the built book on http://127.0.0.1:8000
	@test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html 8000

lab: venv practice  ## open JupyterLab on the course (localhost, token on; the command line is tools/lab_command.py)
	$(BIN)/python tools/lab_command.py

# Learners answer in my_work/ (git-ignored), never in exercises/: `git status` stays clean and `git pull` works.
practice:  ## copy the practice notebooks exercises/*.ipynb into my_work/ (yours: an existing copy is never overwritten)
	@mkdir -p my_work
	@for nb in exercises/*.ipynb; do \
	  if [ -e "my_work/$${nb##*/}" ]; then echo "kept     my_work/$${nb##*/} (your copy)"; \
	  else cp "$$nb" my_work/ && echo "copied   $$nb -> my_work/$${nb##*/}"; fi; done
	@echo "Answer in my_work/ (git ignores it); exercises/ stays as committed, so git pull keeps working."

test: $(STAMP) $(JS_STAMP) chromium  ## run every check: ruff, unit, policy, notebooks, book, browser
	$(BIN)/python tools/run_tests.py

exercises: $(STAMP)  ## regenerate exercises/ from solutions/ (the single source)
	$(BIN)/python tools/make_exercises.py

bench: $(STAMP)  ## print the benchmark tables of the efficiency chapter (a few minutes)
	$(BIN)/python benchmarks/run_all.py

bench-gpu: $(STAMP)  ## time cuDNN GRU/LSTM, minGRU scan, quasi-DEER on a visible GPU (else say so); JSON in benchmarks/gpu/
	$(BIN)/python benchmarks/gpu_bench.py

heldout: $(STAMP)  ## re-run NB=chapters/NN_name.ipynb on its held-out seeds, say which asserts hold (SHOW=1: outputs)
	@test -n "$(NB)" || { echo "usage: make heldout NB=chapters/12_training_generalisation.ipynb" >&2; exit 2; }
	$(BIN)/python tools/heldout.py $(if $(SHOW),--show-output) "$(NB)"

clean:  ## remove build outputs (keeps .venv)
	rm -rf _build .pytest_cache .ruff_cache
