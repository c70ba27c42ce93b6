#!/usr/bin/env bash
# Install what the kiosk needs on Debian 12 / Raspberry Pi OS Bookworm: system packages, a virtualenv in .venv,
# the project with the extras asked for. Safe to run again: it installs only what is missing.
#   scripts/setup.sh            the demo: all three deployables on one machine (kiosk, office, provision extras)
#   scripts/setup.sh test       the same + test tools
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

APT_PACKAGES=(
  python3-venv python3-dev            # the virtualenv
  mosquitto mosquitto-clients         # the demo's private broker and the tests' brokers
  espeak-ng sox                       # offline prompt synthesis, audio tools
  xvfb xauth                          # a virtual screen for screenshots and UI tests
  libportaudio2                       # microphone and speaker through sounddevice
  libgl1 libegl1 libgles2 libmtdev1   # Kivy's OpenGL window and touch input
  libsdl2-2.0-0 libsdl2-image-2.0-0 libsdl2-ttf-2.0-0 libsdl2-mixer-2.0-0
  libglib2.0-0                        # OpenCV
  systemd                             # systemd-analyze verifies the firmware units
  postgresql-client                   # psql, for the central office's PostgreSQL store
)

if [ "$extras" = "test" ]; then
  APT_PACKAGES+=(chromium)            # the office console's browser tests (Playwright drives /usr/bin/chromium)
  APT_PACKAGES+=(openssl)             # tests/test_docs_commands.py: docs/operations.md makes a new CA with it
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${extras:-runtime}"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages (${extras:-runtime})"
  .venv/bin/python -m pip install -q --upgrade pip
  if [ -n "$extras" ]; then
    .venv/bin/python -m pip install -q -e ".[$extras]"
  else
    .venv/bin/python -m pip install -q -e ".[kiosk,office,provision]"
  fi
  touch "$stamp"
fi
echo "setup: ready (.venv/bin/kiosk)"
