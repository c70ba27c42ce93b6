"""``kiosk-provision install-model SOURCE``: a language pack or model from a local path, checked and swapped
in atomically.

SOURCE is a Vosk model directory or archive (.zip, .tar.gz, .tgz, .tar), a ``.tflite`` file or a prompt audio
directory. Its manifest (``--manifest``, else ``SOURCE/manifest.json`` for a directory, else
``SOURCE.manifest.json`` beside a file or archive) is JSON::

    {"name": "vosk-id", "kind": "vosk" | "tflite" | "prompts", "version": "1",
     "sha256": "<hex, of the .tflite file or the archive>",
     "files": {"relative/path": "<hex>", ...}}          # every file of a directory (optional for an archive)

Everything is copied (or extracted) into ``<data_dir>/models/.store/<name>-<digest>/`` and checked there, so
what is installed is exactly what was verified. Then ``<data_dir>/models/<name>`` (a symlink: what the kiosk
loads) is replaced in one rename, and the old target stays as ``<name>.previous`` for ``--rollback NAME``."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layanan.config import Settings
from provisioning.common import (
    ProvisionError,
    add_config_flag,
    atomic_write_text,
    config_path,
    guarded,
    models_dir,
    read_device_settings,
)

NO_CONFIG_FLAGS = True

KINDS = ("vosk", "tflite", "prompts")
ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar")
AUDIO = (".wav", ".ogg", ".opus", ".mp3", ".flac")
STORE = ".store"
MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Manifest:
    name: str
    kind: str
    version: str
    sha256: str
    files: dict[str, str]

    @classmethod
    def load(cls, path: Path, name: str | None) -> Manifest:
        try:
            data: Any = json.loads(path.read_text())
        except FileNotFoundError:
            raise ProvisionError(
                f"the manifest {path} is missing; put the model's manifest.json beside it or pass "
                "--manifest FILE"
            ) from None
        except (OSError, ValueError) as exc:
            raise ProvisionError(
                f"the manifest {path} is not readable JSON ({exc}); get a good copy of it"
            ) from None
        if not isinstance(data, dict):
            raise ProvisionError(f"the manifest {path} is not a JSON object; get a good copy of it")
        manifest = cls(
            name=str(name or data.get("name") or ""),
            kind=str(data.get("kind", "")),
            version=str(data.get("version", "")),
            sha256=str(data.get("sha256", "")).lower(),
            files={str(k): str(v).lower() for k, v in dict(data.get("files") or {}).items()},
        )
        if not manifest.name or "/" in manifest.name or manifest.name.startswith("."):
            raise ProvisionError(
                f"the manifest {path} has no usable 'name'; add one (e.g. vosk-id) or pass --name"
            )
        if manifest.kind not in KINDS:
            raise ProvisionError(
                f"the manifest {path} has kind {manifest.kind!r}; use one of {', '.join(KINDS)}"
            )
        return manifest

    def to_json(self) -> str:
        data = {"name": self.name, "kind": self.kind, "version": self.version, "sha256": self.sha256,
                "files": self.files}  # fmt: skip
        return json.dumps(data, indent=2, sort_keys=True)


def find_manifest(source: Path, given: Path | None) -> Path:
    if given is not None:
        return given
    if source.is_dir():
        return source / MANIFEST
    for candidate in (
        source.with_name(source.name + ".manifest.json"),
        source.with_name(_stem(source) + ".manifest.json"),
    ):
        if candidate.exists():
            return candidate
    return source.with_name(source.name + ".manifest.json")


def _stem(path: Path) -> str:
    name = path.name
    for suffix in ARCHIVES + (".tflite",):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _safe_extract(archive: Path, dest: Path) -> None:
    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    _check_member(member, archive)
                zf.extractall(dest)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(dest, filter="data")  # refuses absolute paths, '..', devices and escaping links
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise ProvisionError(
            f"the archive {archive} cannot be read ({exc}); copy it again from the source"
        ) from None


def _check_member(member: str, archive: Path) -> None:
    if member.startswith("/") or ".." in Path(member).parts:
        raise ProvisionError(f"the archive {archive} holds an unsafe path {member!r}; do not install it")


def _single_root(directory: Path) -> Path:
    """Archives usually wrap the model in one top folder (vosk-model-small-id-0.22/): use its inside."""
    entries = [p for p in directory.iterdir() if p.name != MANIFEST]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else directory


def _files(directory: Path) -> dict[str, Path]:
    return {p.relative_to(directory).as_posix(): p for p in sorted(directory.rglob("*")) if p.is_file()}


def verify_tree(directory: Path, manifest: Manifest, source: Path) -> None:
    """Every file listed and only those, each with its sha256."""
    present = {rel: p for rel, p in _files(directory).items() if rel != MANIFEST}
    missing = sorted(set(manifest.files) - set(present))
    extra = sorted(set(present) - set(manifest.files))
    if missing:
        raise ProvisionError(
            f"{source} lacks {missing[0]} (and {len(missing) - 1} more) listed in its manifest; copy "
            "the whole model again"
        )
    if extra:
        raise ProvisionError(
            f"{source} has {extra[0]} that its manifest does not list; use the model exactly as published"
        )
    for rel, expected in manifest.files.items():
        got = sha256_file(present[rel])
        if got != expected:
            raise ProvisionError(
                f"checksum mismatch for {rel} in {source} (sha256 {got[:12]}..., manifest "
                f"{expected[:12]}...); copy the model again"
            )


def check_kind(directory: Path, manifest: Manifest, source: Path) -> None:
    files = _files(directory)
    if manifest.kind == "tflite":
        models = [p for rel, p in files.items() if rel.endswith(".tflite")]
        if len(models) != 1:
            raise ProvisionError(f"{source} should be one .tflite file; pass the model file itself")
        with models[0].open("rb") as fh:
            head = fh.read(8)
        if head[4:8] != b"TFL3":
            raise ProvisionError(
                f"{source} is not a TFLite model (no TFL3 identifier); it is damaged or the wrong file"
            )
    elif manifest.kind == "vosk":
        if "am/final.mdl" not in files or not any(rel.startswith("conf/") for rel in files):
            raise ProvisionError(
                f"{source} is not a Vosk model (no am/final.mdl and conf/); pass the model folder or archive"
            )
    elif not any(rel.lower().endswith(AUDIO) for rel in files):
        raise ProvisionError(
            f"{source} holds no prompt audio ({', '.join(AUDIO)}); pass the prompt pack folder"
        )


def stage(source: Path, manifest: Manifest, staging: Path) -> None:
    """Copy or extract SOURCE into ``staging`` and verify it there."""
    content = staging / "content"
    if source.is_dir():
        shutil.copytree(source, content, symlinks=False, ignore=shutil.ignore_patterns(MANIFEST))
        verify_tree(content, manifest, source)
    elif source.name.endswith(ARCHIVES):
        if not manifest.sha256:
            raise ProvisionError(f"the manifest of {source} has no 'sha256' for the archive; add it")
        copied = staging / source.name
        shutil.copyfile(source, copied)
        _check_sha(copied, manifest.sha256, source)
        raw = staging / "extract"
        raw.mkdir()
        _safe_extract(copied, raw)
        _single_root(raw).rename(content)
        copied.unlink()
        if manifest.files:
            verify_tree(content, manifest, source)
    else:
        if not manifest.sha256:
            raise ProvisionError(f"the manifest of {source} has no 'sha256' for the file; add it")
        content.mkdir()
        shutil.copyfile(source, content / source.name)
        _check_sha(content / source.name, manifest.sha256, source)
    check_kind(content, manifest, source)
    (content / MANIFEST).write_text(manifest.to_json() + "\n")


def _check_sha(path: Path, expected: str, source: Path) -> None:
    got = sha256_file(path)
    if got != expected:
        raise ProvisionError(
            f"checksum mismatch for {source} (sha256 {got[:12]}..., manifest {expected[:12]}...); "
            "copy it again"
        )


def _digest(manifest: Manifest) -> str:
    """Names the installed version: the checksums were verified, so the manifest stands for the content."""
    return hashlib.sha256(manifest.to_json().encode()).hexdigest()[:12]


def _link(target_name: str, link: Path) -> None:
    tmp = link.with_name(f".{link.name}.{os.getpid()}.new")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target_name)
    os.replace(tmp, link)


def _prune(root: Path, name: str) -> None:
    keep = {os.readlink(p) for p in (root / name, root / f"{name}.previous") if p.is_symlink()}
    for entry in (root / STORE).glob(f"{name}-*"):
        if f"{STORE}/{entry.name}" not in keep:
            shutil.rmtree(entry, ignore_errors=True)


def install(source: Path, manifest_path: Path | None, name: str | None, root: Path) -> str:
    if not source.exists():
        raise ProvisionError(
            f"the model source {source} does not exist; pass the path of the model folder, archive or file"
        )
    if not os.access(source, os.R_OK):
        raise ProvisionError(
            f"the model source {source} is not readable; check the USB stick and its permissions"
        )
    manifest = Manifest.load(find_manifest(source, manifest_path), name)
    target = f"{STORE}/{manifest.name}-{_digest(manifest)}"
    link = root / manifest.name
    if link.is_symlink() and os.readlink(link) == target and (root / target).is_dir():
        return f"{manifest.name} {manifest.version} is already installed; nothing changed"
    if link.exists() and not link.is_symlink():
        raise ProvisionError(f"{link} is not a link made by install-model; move it away and install again")
    (root / STORE).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{manifest.name}-", dir=root / STORE))
    try:
        size = (
            sum(p.stat().st_size for p in _files(source).values())
            if source.is_dir()
            else source.stat().st_size
        )
        print(
            f"copying and checking {manifest.name} {manifest.version} ({size / 2**20:.0f} MB)...",
            file=sys.stderr,
        )
        stage(source, manifest, staging)
        if not (root / target).exists():
            (staging / "content").rename(root / target)
        if link.is_symlink() and os.readlink(link) != target:
            _link(os.readlink(link), root / f"{manifest.name}.previous")
        _link(target, link)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(root, manifest.name)
    return f"{manifest.name} {manifest.version} ({manifest.kind}) installed in {link}"


def rollback(root: Path, name: str) -> str:
    link, previous = root / name, root / f"{name}.previous"
    if not previous.is_symlink() or not (root / os.readlink(previous)).exists():
        raise ProvisionError(
            f"there is no previous version of {name} to go back to; install the wanted version instead"
        )
    current = os.readlink(link) if link.is_symlink() else None
    _link(os.readlink(previous), link)
    if current:
        _link(current, previous)
    return f"{name} rolled back to {os.readlink(link).removeprefix(STORE + '/')}"


def installed(root: Path) -> dict[str, Manifest]:
    """The models currently installed (what selftest loads)."""
    found: dict[str, Manifest] = {}
    if not root.is_dir():
        return found
    for link in sorted(root.iterdir()):
        if link.is_symlink() and not link.name.endswith(".previous") and (link / MANIFEST).exists():
            found[link.name] = Manifest.load(link / MANIFEST, None)
    return found


def make_manifest(source: Path, name: str, kind: str, version: str) -> dict[str, Any]:
    """The manifest of SOURCE as it is now (for whoever publishes a model; check it before you trust it)."""
    if kind not in KINDS:
        raise ProvisionError(f"--kind {kind!r} is unknown; use one of {', '.join(KINDS)}")
    data: dict[str, Any] = {"name": name, "kind": kind, "version": version}
    if source.is_dir():
        data["files"] = {rel: sha256_file(p) for rel, p in _files(source).items() if rel != MANIFEST}
    else:
        data["sha256"] = sha256_file(source)
    return data


def configure(parser: argparse.ArgumentParser) -> None:
    add_config_flag(parser)
    parser.add_argument(
        "source", type=Path, nargs="?", help="model folder, archive, .tflite file or prompt folder"
    )
    parser.add_argument("--manifest", type=Path, help="the manifest (default: beside or inside SOURCE)")
    parser.add_argument("--name", help="install under this name instead of the manifest's")
    parser.add_argument("--rollback", metavar="NAME", help="go back to the previous version of NAME")
    parser.add_argument(
        "--make-manifest", action="store_true", help="write SOURCE's manifest (for publishers)"
    )
    parser.add_argument("--kind", choices=KINDS, help="with --make-manifest: vosk, tflite or prompts")
    parser.add_argument("--version", dest="model_version", default="1", help="with --make-manifest: version")


def install_model(args: argparse.Namespace) -> int:
    if args.make_manifest:
        if args.source is None or not args.source.exists() or not args.name or not args.kind:
            raise ProvisionError("--make-manifest needs an existing SOURCE, --name and --kind")
        path = find_manifest(args.source, args.manifest)
        data = make_manifest(args.source, args.name, args.kind, args.model_version)
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
        print(f"{path} written; publish it with the model")
        return 0
    root = models_dir(read_device_settings(config_path(args)))
    if args.rollback:
        print(rollback(root, args.rollback))
        return 0
    if args.source is None:
        raise ProvisionError("no model given; pass the model's path (or --rollback NAME)")
    print(install(args.source, args.manifest, args.name, root))
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    return guarded("install-model", install_model, args)
