"""Telemetry names what a kiosk runs: software, catalog and model versions from their own manifests, shown by
'kiosk-central devices' (issue 34, finding 3)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from central.versions import versions_text
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.versions import collect_versions
from kiosk.outbox.wiring import device_keys, queue_path, signer
from tests.support.delivery import receiver
from tests.support.kiosk_env import ROOT, make_site, run_cli
from tests.support.waiting import wait_until
from tools.net import Mosquitto

SHIPPED = ROOT / "models"


def central(*args: str) -> tuple[int, str, str]:
    done = run_cli("central.cli", list(args))
    return done.returncode, done.stdout, done.stderr


def test_versions_come_from_the_manifests_and_the_catalog_not_file_times(tmp_path: Path) -> None:
    site = make_site(tmp_path, "mqtt://127.0.0.1:1")
    models = tmp_path / "release-models"
    models.mkdir()
    for name in ("digits-id.tflite", "manifest.json"):
        shutil.copyfile(SHIPPED / name, models / name)
    shipped = json.loads((SHIPPED / "manifest.json").read_text())
    catalog = tmp_path / "catalog.toml"
    catalog.write_text((ROOT / "layanan" / "data" / "catalog.toml").read_text())

    settings = site.settings(speech={"models_dir": str(models)})
    settings = dataclasses.replace(settings, kiosk=dataclasses.replace(settings.kiosk, catalog=str(catalog)))
    versions = collect_versions(settings)
    assert versions["sw"] and versions["catalog"].startswith("2026.12.1 ")
    assert versions["model.digits-id"] == f"{shipped['version']} {shipped['sha256'][:12]}"

    before = versions["catalog"]
    catalog.write_text(catalog.read_text() + "\n# a local edit\n")  # same version, other content
    after = collect_versions(settings)
    assert after["catalog"].split()[0] == before.split()[0] and after["catalog"] != before
    assert versions_text(after).startswith("sw ") and "catalog 2026.12.1  digits-id 6" in versions_text(after)


def test_an_older_kiosk_that_reports_only_its_software_is_said_so() -> None:
    assert versions_text({"sw": "0.1.0"}) == "sw 0.1.0 (catalog and models not reported: older software)"
    assert versions_text({}).startswith("sw unknown")


def test_devices_shows_the_versions_a_kiosk_reported(
    tmp_path: Path, broker: Mosquitto, central_db_url: str
) -> None:
    site = make_site(tmp_path, broker.url)
    base = ["--db", central_db_url, "--data-dir", str(site.central_dir)]
    code, _, err = central("devices", "import", str(site.device_record()), *base)
    assert code == 0, err
    settings = site.settings()
    keys = device_keys(settings)
    rec = receiver(broker.url, central_db_url, settings).start()
    up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
    try:
        wait_until(
            lambda: "catalog" in json.loads(central("devices", "--json", *base)[1])[0]["versions"],
            20,
            "telemetry with the versions",
        )
    finally:
        up.stop()
        rec.stop()
    [dev] = json.loads(central("devices", "--json", *base)[1])
    shipped = json.loads((SHIPPED / "manifest.json").read_text())
    assert dev["versions"]["model.digits-id"] == f"6 {shipped['sha256'][:12]}"
    assert dev["versions"]["catalog"].startswith("2026.12.1 ")
    code, out, err = central("devices", *base)
    assert code == 0, err
    assert "catalog 2026.12.1  digits-id 6" in out
