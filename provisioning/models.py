"""``kiosk-provision install-model SOURCE``: a language pack or model from a local path, checked and swapped
in atomically.

SOURCE is a Vosk model directory or archive (.zip, .tar.gz, .tgz, .tar), a ``.tflite`` file, a prompt audio
directory, or a model's manifest itself (``models/manifest.json`` of a release: the file it names beside it is
installed). Its manifest (``--manifest``, else ``SOURCE/manifest.json`` for a directory, else
``SOURCE.manifest.json`` beside a file or archive, else a ``manifest.json`` beside it naming it as its ``file``)
is JSON::

    {"name": "vosk-en", "kind": "vosk" | "tflite" | "prompts", "version": "1", "lang": "en",
     "sha256": "<hex, of the .tflite file or the archive>",
     "files": {"relative/path": "<hex>", ...}}          # every file of a directory (optional for an archive)

The speech model's own manifest (``models/manifest.json``: ``"engine": "litert"``, ``"file"``, ``"tokens"``,
...) is such a manifest too: its engine gives the kind. The installed copy keeps every key the publisher wrote,
because the speech engine reads its tokens and features from it.

Everything is copied (or extracted) into ``<data_dir>/models/.store/<name>-<digest>/`` and checked there, so
what is installed is exactly what was verified; a speech model is also loaded there by the kiosk's own speech
loader before it is made current. Then ``<data_dir>/models/<name>`` (a symlink) is replaced in one rename, and
the old target stays as ``<name>.previous`` for ``--rollback NAME``. A speech model (the LiteRT model of
Indonesian, a Vosk model with a ``lang``) is what the kiosk's speech then loads: the device config's
``speech.models_dir`` or ``speech.vosk_models`` is pointed at the link."""

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from layanan.config import Settings
from provisioning.common import (
    ProvisionError,
    add_config_flag,
    atomic_write_text,
    config_path,
    guarded,
    models_dir,
    read_device_settings,
    write_device_settings,
)

NO_CONFIG_FLAGS = True

KINDS = ("vosk", "tflite", "prompts")
ENGINE_KINDS = {"litert": "tflite", "tflite": "tflite", "vosk": "vosk"}
"""A speech model's manifest says its ``engine`` (models/manifest.json: ``litert``) instead of a kind."""
ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar")
AUDIO = (".wav", ".ogg", ".opus", ".mp3", ".flac")
STORE = ".store"
MANIFEST = "manifest.json"
BIG = 8 * 2**20
"""Copies larger than this print their progress."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Progress:
    """How much of a big copy is done, every 10 %, on stderr: a 1 GB model on a slow USB stick takes minutes,
    and a silent terminal looks like a hang."""

    def __init__(self, total: int, label: str, out: TextIO | None = None) -> None:
        self.total, self.label, self.done, self._shown = total, label, 0, -1
        self.out = out or sys.stderr

    def add(self, n: int) -> None:
        self.done += n
        if self.total < BIG:
            return
        tenth = min(10, self.done * 10 // max(1, self.total))
        if tenth > self._shown:
            self._shown = tenth
            print(
                f"  {self.label}: {self.done / 2**20:.0f} of {self.total / 2**20:.0f} MB ({tenth * 10} %)",
                file=self.out,
                flush=True,
            )


def copy_file(src: Path, dst: Path, progress: Progress) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, dst.open("wb") as fout:
        _copy_stream(fin, fout, progress)


def _copy_stream(fin: BinaryIO, fout: BinaryIO, progress: Progress) -> None:
    for block in iter(lambda: fin.read(1 << 20), b""):
        fout.write(block)
        progress.add(len(block))


@dataclass(frozen=True)
class Manifest:
    name: str
    kind: str
    version: str
    sha256: str
    files: dict[str, str]
    file: str = ""
    """The model file a single-file manifest names (models/manifest.json: ``digits-id.tflite``)."""
    lang: str = ""
    """The language a speech model serves (``id`` for the LiteRT model, ``en`` for an English Vosk model)."""
    data: dict[str, Any] = field(default_factory=dict, compare=False)
    """Everything the publisher wrote: kept in the installed copy, the speech engine reads its tokens."""

    @classmethod
    def load(cls, path: Path, name: str | None) -> Manifest:
        data = _read_json(path)
        kind = str(data.get("kind") or ENGINE_KINDS.get(str(data.get("engine", "")), ""))
        manifest = cls(
            name=str(name or data.get("name") or ""),
            kind=kind,
            version=str(data.get("version", "")),
            sha256=str(data.get("sha256", "")).lower(),
            files={str(k): str(v).lower() for k, v in dict(data.get("files") or {}).items()},
            file=str(data.get("file") or ""),
            lang=str(data.get("lang") or ""),
            data=data,
        )
        if not manifest.name or "/" in manifest.name or manifest.name.startswith("."):
            raise ProvisionError(
                f"the manifest {path} has no usable 'name'; add one (e.g. vosk-en) or pass --name"
            )
        if manifest.kind not in KINDS:
            given = (
                f"kind {data['kind']!r}"
                if data.get("kind")
                else (
                    f"engine {data['engine']!r}" if data.get("engine") else "neither a 'kind' nor an 'engine'"
                )
            )
            raise ProvisionError(
                f'the manifest {path} has {given}; give it "kind": one of {", ".join(KINDS)} '
                '(or "engine": litert or vosk)'
            )
        if "/" in manifest.file or manifest.file.startswith("."):
            raise ProvisionError(
                f"the manifest {path} names the file {manifest.file!r}; give a plain file name"
            )
        return manifest

    @property
    def is_speech(self) -> bool:
        """A model the kiosk's speech loads: the LiteRT model with its tokens, or a Vosk model for a language."""
        return (self.kind == "tflite" and "tokens" in self.data) or (self.kind == "vosk" and bool(self.lang))

    def to_json(self) -> str:
        data = {**self.data, "name": self.name, "kind": self.kind, "version": self.version}
        data.pop("files", None)
        data.pop("sha256", None)
        if self.sha256:
            data["sha256"] = self.sha256
        if self.files:
            data["files"] = self.files
        return json.dumps(data, indent=2, sort_keys=True)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data: Any = json.loads(path.read_text())
    except FileNotFoundError:
        raise ProvisionError(
            f"the manifest {path} is missing; put the model's manifest.json beside it or pass --manifest FILE"
        ) from None
    except (OSError, ValueError) as exc:
        raise ProvisionError(
            f"the manifest {path} is not readable JSON ({exc}); get a good copy of it"
        ) from None
    if not isinstance(data, dict):
        raise ProvisionError(f"the manifest {path} is not a JSON object; get a good copy of it")
    return data


def _names_file(manifest: Path) -> str:
    """The ``file`` a manifest names, or "" (not a single-file manifest, or no readable manifest at all)."""
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return ""
    return str(data.get("file") or "") if isinstance(data, dict) else ""


def resolve(source: Path, given: Path | None) -> tuple[Path, Path]:
    """(the model to install, its manifest). SOURCE may be the manifest itself, or a folder whose manifest.json
    names one file (a release's ``models/``): then that file is the model."""
    if source.is_file() and source.name.endswith(".json") and given is None:
        named = _names_file(source)
        if not named:
            raise ProvisionError(
                f"the manifest {source} names no model 'file'; pass the model itself (its folder, archive or "
                "file) and this manifest with --manifest"
            )
        return source.parent / named, source
    if source.is_dir() and given is None and _names_file(source / MANIFEST):
        return source / _names_file(source / MANIFEST), source / MANIFEST
    return source, find_manifest(source, given)


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
    beside = source.with_name(MANIFEST)
    if _names_file(beside) == source.name:  # a release's models/manifest.json names digits-id.tflite
        return beside
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
        files = {rel: p for rel, p in _files(source).items() if rel != MANIFEST}
        progress = Progress(sum(p.stat().st_size for p in files.values()), f"copying {manifest.name}")
        content.mkdir()
        for rel, path in files.items():
            copy_file(path, content / rel, progress)
        verify_tree(content, manifest, source)
    elif source.name.endswith(ARCHIVES):
        if not manifest.sha256:
            raise ProvisionError(f"the manifest of {source} has no 'sha256' for the archive; add it")
        copied = staging / source.name
        copy_file(source, copied, Progress(source.stat().st_size, f"copying {source.name}"))
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
        target = content / (manifest.file or source.name)
        copy_file(source, target, Progress(source.stat().st_size, f"copying {source.name}"))
        _check_sha(target, manifest.sha256, source)
    check_kind(content, manifest, source)
    (content / MANIFEST).write_text(manifest.to_json() + "\n")
    if manifest.is_speech:
        from provisioning.speech_models import check_speech

        check_speech(content, manifest, source)


def _check_sha(path: Path, expected: str, source: Path) -> None:
    got = sha256_file(path)
    if got != expected:
        raise ProvisionError(
            f"checksum mismatch for {source} (sha256 {got[:12]}..., manifest {expected[:12]}...); "
            "copy it again"
        )


def intact(directory: Path, manifest: Manifest) -> bool:
    """Is the installed copy still what was verified: its manifest as written, every file's checksum?"""
    try:
        if (directory / MANIFEST).read_text() != manifest.to_json() + "\n":
            return False
        if manifest.files:
            verify_tree(directory, manifest, directory)
        elif manifest.sha256 and manifest.kind == "tflite":  # one file (an archive's sha256 is the archive's)
            return sha256_file(directory / (manifest.file or _only_file(directory))) == manifest.sha256
    except (OSError, ProvisionError):
        return False
    return True


def _only_file(directory: Path) -> str:
    names = [rel for rel in _files(directory) if rel != MANIFEST]
    return names[0] if len(names) == 1 else MANIFEST + ".missing"


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


def install(source: Path, manifest_path: Path | None, name: str | None, root: Path) -> tuple[str, Manifest]:
    """Install SOURCE under ``root``; (what was done, the manifest)."""
    source, manifest_file = resolve(source, manifest_path)
    if not source.exists():
        raise ProvisionError(
            f"the model source {source} does not exist; pass the path of the model folder, archive or file "
            "(or of a release's models/manifest.json)"
        )
    if not os.access(source, os.R_OK):
        raise ProvisionError(
            f"the model source {source} is not readable; check the USB stick and its permissions"
        )
    manifest = Manifest.load(manifest_file, name)
    target = f"{STORE}/{manifest.name}-{_digest(manifest)}"
    link = root / manifest.name
    if link.is_symlink() and os.readlink(link) == target and intact(root / target, manifest):
        return f"{manifest.name} {manifest.version} is already installed; nothing changed", manifest
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
            f"copying and checking {manifest.name} {manifest.version} ({size / 2**20:.1f} MB)...",
            file=sys.stderr,
        )
        stage(source, manifest, staging)
        if (root / target).exists() and not intact(root / target, manifest):
            shutil.rmtree(
                root / target
            )  # a damaged copy (the SD card, a hand-edit): replaced by the good one
        if not (root / target).exists():
            (staging / "content").rename(root / target)
        if link.is_symlink() and os.readlink(link) != target:
            _link(os.readlink(link), root / f"{manifest.name}.previous")
        _link(target, link)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(root, manifest.name)
    return f"{manifest.name} {manifest.version} ({manifest.kind}) installed in {link}", manifest


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


def make_manifest(source: Path, name: str, kind: str, version: str, lang: str = "") -> dict[str, Any]:
    """The manifest of SOURCE as it is now (for whoever publishes a model; check it before you trust it)."""
    if kind not in KINDS:
        raise ProvisionError(f"--kind {kind!r} is unknown; use one of {', '.join(KINDS)}")
    data: dict[str, Any] = {"name": name, "kind": kind, "version": version}
    if lang:
        data["lang"] = lang
    if source.is_dir():
        data["files"] = {rel: sha256_file(p) for rel, p in _files(source).items() if rel != MANIFEST}
    else:
        data["sha256"] = sha256_file(source)
    return data


def configure(parser: argparse.ArgumentParser) -> None:
    add_config_flag(parser)
    parser.add_argument(
        "source",
        type=Path,
        nargs="?",
        help="model folder, archive, .tflite file or prompt folder, or a release's models/manifest.json",
    )
    parser.add_argument("--manifest", type=Path, help="the manifest (default: beside or inside SOURCE)")
    parser.add_argument("--name", help="install under this name instead of the manifest's")
    parser.add_argument("--rollback", metavar="NAME", help="go back to the previous version of NAME")
    parser.add_argument(
        "--make-manifest", action="store_true", help="write SOURCE's manifest (for publishers)"
    )
    parser.add_argument("--kind", choices=KINDS, help="with --make-manifest: vosk, tflite or prompts")
    parser.add_argument("--version", dest="model_version", default="1", help="with --make-manifest: version")
    parser.add_argument(
        "--lang", default="", help="with --make-manifest: the language a Vosk model serves (e.g. en)"
    )


def install_model(args: argparse.Namespace) -> int:
    if args.make_manifest:
        if args.source is None or not args.source.exists() or not args.name or not args.kind:
            raise ProvisionError("--make-manifest needs an existing SOURCE, --name and --kind")
        path = find_manifest(args.source, args.manifest)
        data = make_manifest(args.source, args.name, args.kind, args.model_version, args.lang)
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
        print(f"{path} written; publish it with the model")
        return 0
    path = config_path(args)
    settings = read_device_settings(path)
    root = models_dir(settings)
    if args.rollback:
        print(rollback(root, args.rollback))
        return 0
    if args.source is None:
        raise ProvisionError(
            "no model given; pass the model's path, e.g. /media/usb/models/manifest.json (or --rollback NAME)"
        )
    done, manifest = install(args.source, args.manifest, args.name, root)
    print(done)
    if manifest.is_speech:
        from provisioning.speech_models import point_speech

        changed, what = point_speech(settings, root / manifest.name, manifest)
        if changed != settings:
            write_device_settings(path, changed)
        print(what)
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    return guarded("install-model", install_model, args)
