"""``devices import`` reads the QR picture of ``kiosk-provision register`` (or a phone's photo of it) and never
replaces a registered kiosk's key without ``--replace``, saying what it replaced (issue 34, items 4 and 6)."""

from __future__ import annotations

import json
from pathlib import Path

from nacl.signing import SigningKey
from PIL import Image

from provisioning.register import write_qr
from tests.support.kiosk_env import make_site, run_cli


def central(*args: str) -> tuple[int, str, str]:
    done = run_cli("central.cli", list(args))
    return done.returncode, done.stdout, done.stderr


def test_the_qr_picture_registers_the_kiosk_and_a_new_key_needs_replace(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1", device_id="desa-91030520-01")
    base = ["--db", sqlite_db_url, "--data-dir", str(site.central_dir)]
    record = json.loads(site.device_record().read_text())
    png = tmp_path / "desa-91030520-01.register.png"
    write_qr(png, json.dumps(record))
    code, out, err = central("devices", "import", str(png), *base)
    assert code == 0, err
    assert "registered desa-91030520-01" in out and record["public_key"][:16] in out
    code, out, _ = central("devices", "import", str(png), *base)
    assert code == 0 and "nothing changed" in out

    new_key = bytes(SigningKey.generate().verify_key).hex()
    replacement = tmp_path / "replacement.register.png"
    write_qr(replacement, json.dumps({**record, "public_key": new_key}))
    code, out, err = central("devices", "import", str(replacement), *base)
    assert code == 1 and "--replace" in err
    assert record["public_key"][:16] in err and new_key[:16] in err
    store_key = _key(sqlite_db_url, "desa-91030520-01")
    assert store_key == record["public_key"], "the old key stays until --replace"

    code, out, err = central("devices", "import", str(replacement), "--replace", *base)
    assert code == 0, err
    assert f"replaced desa-91030520-01: key {record['public_key'][:16]}... -> {new_key[:16]}..." in out
    assert _key(sqlite_db_url, "desa-91030520-01") == new_key


def test_a_photo_of_the_code_is_read_and_a_picture_without_one_is_explained(
    tmp_path: Path, sqlite_db_url: str
) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1", device_id="desa-91030520-02")
    base = ["--db", sqlite_db_url, "--data-dir", str(site.central_dir)]
    png = tmp_path / "code.png"
    write_qr(png, site.device_record().read_text())
    photo = tmp_path / "photo.jpg"
    with Image.open(png) as image:
        canvas = Image.new("L", (image.width * 2, image.height * 2), 200)
        canvas.paste(image.convert("L").rotate(7, expand=True, fillcolor=255), (60, 40))
        canvas.save(photo, quality=80)
    code, out, err = central("devices", "import", str(photo), *base)
    assert code == 0, err
    assert "registered desa-91030520-02" in out

    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    code, out, err = central("devices", "import", str(blank), *base)
    assert code == 2 and "no QR code found" in err and ".register.json" in err
    assert "Traceback" not in err and "codec" not in err


def _key(db_url: str, device_id: str) -> str:
    from central.store import open_store

    store = open_store(db_url)
    try:
        device = store.device(device_id)
        assert device is not None
        return device.public_key
    finally:
        store.close()
