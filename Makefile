# The two jobs of a fresh machine: `make run` (write the lessons' walkthrough, then train,
# evaluate and classify examples) and `make test`. Both install the C library the lessons need
# (cmark-gfm) when it is missing.

SWIFT ?= swift
RELEASE := $(SWIFT) run -c release gpt
# Our debug builds and tests optimise the engine and the model (see Package.swift).
export GPT_FAST_DEBUG := 1

.PHONY: run test deps build bench clean example docs notebook browser-test fuzz

run: deps
	$(SWIFT) build -c release --product gpt
	$(RELEASE) report -o walkthrough.html
	$(RELEASE) train
	$(RELEASE) eval
	$(RELEASE) classify \
		"user 4411 logged in from 10.0.3.7" \
		"disk usage at 86% on db-02 (/var/lib/postgresql)" \
		"payment-worker crashed on api-07 with exit code 137"

test: deps
	$(SWIFT) build
	$(SWIFT) test

# The fuzz tests alone, each for GPT_FUZZ_SECONDS (60 here; 2 within `make test`): run apart from
# the other tests, whose servers and timeouts they would starve of both cores.
fuzz: deps
	$(SWIFT) build --build-tests
	GPT_FUZZ_SECONDS=$${GPT_FUZZ_SECONDS:-60} $(SWIFT) test --skip-build --filter 'Fuzz|fuzz'

# The lessons as a live notebook in the browser (see README.md).
notebook: deps
	$(SWIFT) build -c release --product gpt
	$(RELEASE) notebook --open

# The notebook in headless Chromium over WebDriver (Tests/Browser): needs chromium,
# chromium-driver and Selenium in .venv-browser (.ci/run installs them).
browser-test: deps
	$(SWIFT) build --product gpt
	GPT_BINARY=$$($(SWIFT) build --show-bin-path)/gpt .venv-browser/bin/python Tests/Browser/notebook_browser_test.py

# Training speed of both configurations, then classification speed when a trained model exists.
bench: deps
	$(RELEASE) bench --original
	$(RELEASE) bench
	@if [ -f model.safetensors ]; then $(RELEASE) bench --classify; fi

# cmark-gfm and its GFM extensions (and pkg-config, which finds them), from Debian, when missing.
deps:
	@{ command -v pkg-config >/dev/null && pkg-config --exists libcmark-gfm; } || { \
		echo "installing cmark-gfm (libcmark-gfm-dev, libcmark-gfm-extensions-dev) and pkg-config"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		$$SUDO apt-get install -y -qq pkg-config libcmark-gfm-dev libcmark-gfm-extensions-dev; }

clean:
	rm -rf .build

# A package that depends on this one by path and trains a model through the public API, built as
# any other package would build it (without our GPT_FAST_DEBUG).
example:
	env -u GPT_FAST_DEBUG $(SWIFT) run --package-path Examples/TrainTinyModel -c release TrainTinyModel

# Reference documentation of the libraries (DocC); any unresolved link is an error.
docs: deps
	$(SWIFT) package generate-documentation --target Autograd --warnings-as-errors
	$(SWIFT) package generate-documentation --target GPT --warnings-as-errors
