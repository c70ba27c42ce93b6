# The two commands of the README. Each installs what it needs first and is safe to run twice.
.PHONY: demo test setup setup-test lint pi-check

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

# The kiosk installed as docs/provisioning.md step 1 says, in a Debian Bookworm arm64 root under qemu, and run there
# (simulate, transcribe, capture). Root only; ~20 minutes the first time, ~7 after; not part of make test or CI.
pi-check: setup-test
	scripts/pi-check.sh
