# The two commands of the README: `make run` and `make test`. Both set up .venv on their own.
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= dev,postgres,redis,sentry,music,ai,grammar,data,mod,web,browser,payments,bus,music-web
# The suite mostly waits on the local Discord stand-in and the servers, so it runs in more
# processes than the machine has cores (pytest-xdist); TEST_WORKERS=0 runs it in one.
TEST_WORKERS ?= 4
BIN := $(VENV)/bin
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: install install-production run test lint format doctor clean

# The bots run as `python -OO` (issue 16): their libraries' bytecode for it is compiled once
# here, not at every start of a bot process (which may not write it).
$(STAMP): pyproject.toml constraints.txt setup.py src/botfleet/bots/mod/services/_text_scan.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	$(BIN)/python -OO -m compileall -q -j 2 -x '/tests?/' $(VENV)/lib
	touch $(STAMP)

install: $(STAMP)

# A production host's .venv: requirements.lock's packages (scripts/lock.sh), each checked against
# its hashes, then botfleet itself from this checkout; no test tools. The bots run as
# `python -OO` (issue 16): their bytecode for it is compiled here, the service cannot write it.
install-production:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --no-index .
	$(BIN)/python -m pip check
	$(BIN)/python -OO -m compileall -q -x '/tests?/' $(VENV)/lib
	@# The standard library's too, where this user may write it (else each bot start compiles
	@# some 190 of its modules, about a second of CPU): not fatal.
	-$(BIN)/python -OO -m compileall -q -x '/(tests?|idle_test|lib2to3)/' \
		"$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"

run: $(STAMP)
	$(BIN)/botfleet run --all

test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=25

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive src

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

doctor: $(STAMP)
	$(BIN)/botfleet doctor

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
