# The two commands of the README. Each installs what it needs first and is safe to run twice.
.PHONY: demo test setup setup-test lint

demo: setup
	.venv/bin/kiosk prompts
	.venv/bin/kiosk demo

test: setup-test
	scripts/run-tests.sh

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh test

lint: setup-test
	.venv/bin/ruff check kiosk layanan central provisioning tools tests models
	.venv/bin/mypy
