#!/usr/bin/env bash
# make pi-check: prove that the kiosk installs and runs on the Raspberry Pi's own software stack.
#
# The tests run on x86_64 with PyPI's x86 wheels; the Pi runs Debian Bookworm arm64 with aarch64 wheels of LiteRT,
# OpenCV, Kivy and Vosk that no test ever loads. This script follows docs/provisioning.md step 1 inside a Debian
# Bookworm arm64 root under qemu-user: the apt packages the doc lists (read from the doc itself, so a package the
# doc forgets makes this check fail), a venv in /opt/kiosk/venv, the kiosk wheel with the extras the doc names, and
# then three real commands (simulate, transcribe, capture) that must each exit 0.
#
# Needs root (debootstrap, chroot, mounts) and the Debian mirror apt on this machine already uses. The root is built
# once and kept in $PI_ROOT (default /var/tmp/kiosk-pi-root, outside the repository, 1.3 GB); later runs reuse it
# and only install the venv afresh. Delete that folder to start from a new root. Measured on 2 cores: about 19
# minutes the first time, 7 after (docs/benchmarks.md). Speed under qemu says nothing about a Pi.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${PI_ROOT:-/var/tmp/kiosk-pi-root}
SUITE=bookworm                       # Raspberry Pi OS Bookworm is Debian Bookworm underneath
VENV=/opt/kiosk/venv                 # where docs/provisioning.md step 1 puts it
IN=/tmp/pi-check                     # inside the root: the wheel and the inputs of the three commands
# The default qemu CPU ("max") advertises extensions no Pi has (SVE, SME ...); LiteRT then picks kernels for them
# and returns empty transcripts. A Raspberry Pi 4 is a Cortex-A72 (the Pi 5's A76 only adds to it).
export QEMU_CPU=cortex-a72

if [[ $EUID -ne 0 ]]; then
    echo "pi-check: needs root (debootstrap, chroot and bind mounts); run: sudo make pi-check" >&2
    exit 2
fi

say() { printf '\n== %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# -- host tools ---------------------------------------------------------------------------------------------------
# debootstrap builds the root, qemu-user-static runs its arm64 binaries, binfmt-support registers qemu with the
# kernel; espeak-ng and sox make the test recording on the host (the root's own espeak-ng is what the kiosk uses).
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
command -v update-binfmts >/dev/null || missing+=(binfmt-support)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v sox >/dev/null || missing+=(sox)
if ((${#missing[@]})); then
    say "installing on the host: ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

# -- arm64 binaries through qemu ----------------------------------------------------------------------------------
# The kernel hands arm64 ELF files to qemu-aarch64-static through binfmt_misc. Containers often start without it
# mounted, and without systemd nobody registers the handler.
BINFMT=/proc/sys/fs/binfmt_misc
mountpoint -q "$BINFMT" || mount -t binfmt_misc binfmt_misc "$BINFMT"
if ! grep -qx enabled "$BINFMT/qemu-aarch64" 2>/dev/null; then
    update-binfmts --enable qemu-aarch64 2>/dev/null || true
fi
if ! grep -qx enabled "$BINFMT/qemu-aarch64" 2>/dev/null; then
    # By hand, with the F flag: the kernel opens the interpreter now, so the chroot need not contain it.
    [[ -e $BINFMT/qemu-aarch64 ]] && echo -1 >"$BINFMT/qemu-aarch64"
    magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
    mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
    echo ":qemu-aarch64:M::$magic:$mask:$(command -v qemu-aarch64-static):F" >"$BINFMT/register"
fi
grep -qx enabled "$BINFMT/qemu-aarch64" || { echo "pi-check: qemu-aarch64 is not registered in $BINFMT" >&2; exit 1; }
# Without the F flag the interpreter is looked up inside the chroot, so put it there (done below, once the root exists).
binfmt_fixed=$(grep -q '^flags:.*F' "$BINFMT/qemu-aarch64" && echo yes || echo no)

# -- the Debian mirror this machine's apt uses --------------------------------------------------------------------
# The first source that serves the plain suite (not -updates or -security), in either format apt reads:
# one-line "deb [options] URI SUITE COMPONENTS" in *.list, or deb822 stanzas in *.sources.
debian_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        awk -v suite="$SUITE" '$1 == "deb" {
            i = 2
            if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i + 1) == suite) print $i
        }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        awk -v suite="$SUITE" 'BEGIN { RS = "" } {
            types = uris = suites = ""; enabled = "yes"
            n = split($0, line, "\n")
            for (j = 1; j <= n; j++) {
                if (line[j] ~ /^#/ || !match(line[j], /^[A-Za-z-]+:/)) continue
                key = tolower(substr(line[j], 1, RLENGTH - 1)); value = " " substr(line[j], RLENGTH + 1) " "
                if (key == "types") types = value
                else if (key == "uris") uris = value
                else if (key == "suites") suites = value
                else if (key == "enabled") enabled = value
            }
            if (types ~ /[ \t]deb[ \t]/ && suites ~ ("[ \t]" suite "[ \t]") && enabled !~ /no/) {
                split(uris, uri, " "); print uri[1]
            }
        }' "$f"
    done
}
MIRROR=${PI_MIRROR:-$(debian_mirror | head -n 1)}
MIRROR=${MIRROR%/}
[[ -n $MIRROR ]] || { echo "pi-check: no '$SUITE' source in /etc/apt/sources.list*; set PI_MIRROR=URL" >&2; exit 1; }

# -- mounts, undone on every exit ---------------------------------------------------------------------------------
WORK=$(mktemp -d /var/tmp/kiosk-pi-check.XXXXXX)
unmount_under() {
    # Every mount point at or below $1, deepest first (mountinfo field 5 is the mount point).
    local dir=$1 mnt
    awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r mnt; do umount "$mnt" 2>/dev/null || umount -l "$mnt"; done
}
cleanup() {
    unmount_under "$ROOT"
    unmount_under "$ROOT.partial"
    rm -rf --one-file-system "$ROOT$IN" "$WORK"
}
trap cleanup EXIT

# -- the arm64 root, built once -----------------------------------------------------------------------------------
# Built in ROOT.partial and renamed when complete, so an interrupted debootstrap is never taken for a root.
if [[ -e $ROOT && ! -f $ROOT/.pi-check-root ]]; then
    echo "pi-check: $ROOT exists but is not a root this script built; remove it or set PI_ROOT" >&2
    exit 1
fi
if [[ ! -f $ROOT/.pi-check-root ]]; then
    say "debootstrap --arch=arm64 $SUITE $ROOT from $MIRROR (once; 3-8 minutes, then 6-8 for its apt packages)"
    unmount_under "$ROOT.partial"
    rm -rf --one-file-system "$ROOT.partial"
    t=$(now)
    debootstrap --arch=arm64 "$SUITE" "$ROOT.partial" "$MIRROR"
    date -u +%FT%TZ >"$ROOT.partial/.pi-check-root"
    mv "$ROOT.partial" "$ROOT"
    echo "debootstrap: $(since "$t") s"
else
    say "reusing the arm64 root in $ROOT (built $(cat "$ROOT/.pi-check-root"))"
fi
[[ $binfmt_fixed == yes ]] || cp "$(command -v qemu-aarch64-static)" "$ROOT/usr/bin/"

# LiteRT reads /proc/cpuinfo to pick its kernels and crashes on the host's x86 text; qemu-user (7.2) passes the
# host's file through. A Raspberry Pi 4's own text, bind-mounted over it inside the root, is what a Pi shows.
{
    for cpu in 0 1 2 3; do
        printf 'processor\t: %s\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n' "$cpu"
        printf 'CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\n'
        printf 'CPU revision\t: 3\n\n'
    done
    printf 'Hardware\t: BCM2835\nRevision\t: c03114\nSerial\t\t: 0000000000000000\n'
    printf 'Model\t\t: Raspberry Pi 4 Model B Rev 1.4\n'
} >"$WORK/cpuinfo"

mount -t proc proc "$ROOT/proc"
mount --bind "$WORK/cpuinfo" "$ROOT/proc/cpuinfo"
mount --bind /sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"   # pip and apt inside the root resolve names like the host

# pip in the root trusts the certificates the host trusts: where the network inspects TLS, its CA is in the host's
# bundle only, and PyPI would look self-signed from inside. A Pi on an ordinary network needs none of this.
mkdir -p "$ROOT$IN"
pip_cert=()
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
    cp /etc/ssl/certs/ca-certificates.crt "$ROOT$IN/host-ca.crt"
    pip_cert=(PIP_CERT="$IN/host-ca.crt")
fi

# Inside the root with a clean environment: the host's pip settings (local wheel folders, indexes) must not leak
# in; QEMU_CPU must.
in_root() {
    chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive QEMU_CPU="$QEMU_CPU" \
        "${pip_cert[@]}" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 "$@"
}

# -- docs/provisioning.md step 1 ----------------------------------------------------------------------------------
# The apt list is the doc's own line, so this check fails when the doc forgets a package. ca-certificates is not
# in it because Raspberry Pi OS Lite has it already and a bare debootstrap root does not (pip needs it for PyPI).
DOC=$REPO/docs/provisioning.md
read -r -a doc_packages <<<"$(sed -n 's/^sudo apt-get install -y //p' "$DOC" | head -n 1)"
((${#doc_packages[@]})) || { echo "pi-check: no 'sudo apt-get install -y' line in $DOC" >&2; exit 1; }
packages=(ca-certificates "${doc_packages[@]}")
all_installed() {
    local status
    status=$(in_root dpkg-query -W -f '${db:Status-Status}\n' "$@" 2>/dev/null) || return 1
    ! grep -vqx installed <<<"$status"
}
if ! all_installed "${packages[@]}"; then
    say "apt-get install in the root: ${packages[*]}"
    t=$(now)
    in_root apt-get update
    in_root apt-get install -y "${packages[@]}"
    echo "apt-get install: $(since "$t") s"
else
    say "apt packages already in the root: ${packages[*]}"
fi

# The wheel, built from this checkout as docs/provisioning.md says (pip wheel --no-deps -w dist .).
say "building the wheel"
if [[ -x $REPO/.venv/bin/pip ]]; then host_pip=("$REPO/.venv/bin/pip"); else host_pip=(python3 -m pip); fi
"${host_pip[@]}" wheel --no-deps -q -w "$WORK/dist" "$REPO"
wheel=$(cd "$WORK/dist" && ls layanan_desa-*-py3-none-any.whl)
# The kiosk's models travel inside the wheel as package data (kiosk/models links to models/): no models, no kiosk.
python3 - "$WORK/dist/$wheel" <<'EOF'
import sys
import zipfile

names = set(zipfile.ZipFile(sys.argv[1]).namelist())
wanted = ["digits-id.tflite", "manifest.json", "face_detection_short_range.tflite"]
missing = [m for m in wanted if f"kiosk/models/{m}" not in names]
if missing:
    sys.exit(f"pi-check: the wheel lacks kiosk/models/{', '.join(missing)}")
EOF
echo "$wheel (with kiosk/models: digits-id.tflite, manifest.json, face_detection_short_range.tflite)"

# The inputs, made on the host: Indonesian digits spoken by espeak-ng at 16 kHz mono (what the microphone path
# delivers), and a pale card on a dark table photographed from above, drawn with OpenCV.
cp "$WORK/dist/$wheel" "$ROOT$IN/"
cp "$REPO/tests/scenarios/ktp_new.json" "$ROOT$IN/scenario.json"
espeak-ng -v id -w "$WORK/raw.wav" "satu dua tiga"
sox "$WORK/raw.wav" -r 16000 -c 1 -b 16 "$ROOT$IN/digits.wav"
if [[ -x $REPO/.venv/bin/python ]]; then host_python=$REPO/.venv/bin/python; else host_python=python3; fi
"$host_python" - "$ROOT$IN/card.png" <<'EOF'
import sys

import cv2
import numpy as np

table = np.full((720, 960, 3), 40, np.uint8)
card = np.array([[220, 180], [760, 200], [740, 540], [200, 520]], np.int32)
cv2.fillConvexPoly(table, card, (195, 200, 205))  # pale, but not so bright that the kiosk asks for less light
cv2.putText(table, "NIK 3201014507900001", (260, 330), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (60, 60, 60), 2)
cv2.imwrite(sys.argv[1], table)
EOF

# A fresh venv on every run: the point is that the wheel installs, not that it once did (pip's download cache in
# the root keeps later runs from fetching everything again).
say "python3 -m venv $VENV; pip install '$wheel[kiosk,provision]'"
t=$(now)
rm -rf --one-file-system "$ROOT$VENV"
in_root python3 -m venv "$VENV"
in_root "$VENV/bin/pip" install "$IN/$wheel[kiosk,provision]"
in_root ln -sf "$VENV/bin/kiosk-provision" /usr/local/bin/
install_time=$(since "$t")
echo "venv + pip install: $install_time s"

say "installed (inside the root)"
in_root uname -m
in_root python3 --version
in_root "$VENV/bin/pip" freeze |
    grep -iE '^(layanan-desa|ai-edge-litert|kivy|numpy|opencv-python-headless|vosk|sounddevice|qrcode|paho-mqtt|pynacl|cryptography)[= @]' || true

# -- the checks ---------------------------------------------------------------------------------------------------
results=()
failed=0
check() {
    # check NAME COMMAND...: run it in the root, keep its output for the summary, never stop the script.
    local name=$1 t rc=0 secs
    shift
    say "$name: $*"
    t=$(now)
    in_root "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    secs=$(since "$t")
    tail -n 20 "$WORK/$name.err"
    cat "$WORK/$name.out"
    if ((rc == 0)); then
        results+=("PASS  $name  (exit 0, $secs s)")
    else
        results+=("FAIL  $name  (exit $rc, $secs s)")
        failed=$((failed + 1))
    fi
}

# Every import the kiosk needs on the Pi, so a missing shared library (libatomic, libportaudio ...) is named here.
check imports "$VENV/bin/python" -c \
    'import ai_edge_litert.interpreter, cv2, kivy, numpy, qrcode, sounddevice, vosk; print("imports ok")'
check kiosk-provision kiosk-provision --help
check simulate "$VENV/bin/kiosk" simulate --data-dir "$IN/data" "$IN/scenario.json"
check transcribe "$VENV/bin/kiosk" transcribe --lang id "$IN/digits.wav"
check capture "$VENV/bin/kiosk" capture "$IN/card.png" --doc ktp --out "$IN/out/card.webp"

# Exit 0 is not enough: an engine that runs but hears nothing is the failure seen under qemu's default CPU, and
# capture exits 0 when it finds no document too. The digits must come out, and the card's four corners.
digits=$(python3 -c 'import json, sys
for line in sys.stdin:
    print(json.loads(line).get("digits", ""))' <"$WORK/transcribe.out" 2>/dev/null || true)
if [[ -n $digits ]]; then
    results+=("PASS  transcribe digits  (\"$digits\" from \"satu dua tiga\")")
else
    results+=("FAIL  transcribe digits  (none heard in \"satu dua tiga\")")
    failed=$((failed + 1))
fi
card=$(python3 -c 'import json, sys
d = json.load(sys.stdin)
if d.get("corners"):
    print("verdict ok" if d["verdict"]["ok"] else "hints " + ",".join(h["id"] for h in d["verdict"]["hints"]),
          str(d["encoded_bytes"]) + " bytes")' <"$WORK/capture.out" 2>/dev/null || true)
if [[ -n $card ]]; then
    results+=("PASS  capture corners  (card found, $card)")
else
    results+=("FAIL  capture corners  (no card found)")
    failed=$((failed + 1))
fi

say "summary ($(uname -m) host, qemu-user QEMU_CPU=$QEMU_CPU, root $ROOT; venv + pip install $install_time s)"
echo "wheel built from $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo "$REPO")"
printf '%s\n' "${results[@]}"
if ((failed)); then
    echo "pi-check: FAIL ($failed failed)"
    exit 1
fi
echo "pi-check: PASS"
