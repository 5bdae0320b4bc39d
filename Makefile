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

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

# A production host's .venv: requirements.lock's packages (scripts/lock.sh), each checked against
# its hashes, then botfleet itself from this checkout; no test tools.
install-production:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --no-index .
	$(BIN)/python -m pip check

run: $(STAMP)
	$(BIN)/botfleet run --all

test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS)

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
