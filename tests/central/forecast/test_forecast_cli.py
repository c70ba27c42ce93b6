"""``kiosk-central forecast`` as a subprocess: from a history CSV, as JSON lines, and clear errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from central.forecast.history import to_csv_text
from tests.support.kiosk_env import run_cli
from tools.demand import Spec, generate


def central(*args: str) -> tuple[int, str, str]:
    done = run_cli("central.cli", list(args))
    return done.returncode, done.stdout, done.stderr


def test_a_forecast_from_a_history_file_prints_one_json_object_per_series_and_week(tmp_path: Path) -> None:
    gen = generate(Spec(villages=14, weeks=90, end=dt.date(2026, 11, 30), seed=9))
    csv_path = tmp_path / "riwayat.csv"
    csv_path.write_text(to_csv_text(gen.panel))
    code, out, err = central(
        "forecast",
        "--history",
        str(csv_path),
        "--no-db",
        "--horizon",
        "4w",
        "--json",
        "--data-dir",
        str(tmp_path),
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    village = [r for r in rows if r["level"] == "village"]
    assert len(village) == len(gen.panel.villages) * 13 * 4
    assert {r["week"] for r in rows} == {"2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28"}
    for r in rows:
        assert {"village", "service", "week", "mean", "lo80", "hi80"} <= set(r)
        assert 0 <= r["lo80"] <= r["mean"] <= r["hi80"]
    kec = {r["village"] for r in rows if r["level"] == "kecamatan"}
    assert kec == {v[:8] for v in gen.panel.villages}


def test_a_bad_history_row_or_horizon_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "week,village,service,count\n2026-01-05,91.03.05.2001,ktp_new,3\n2026-01-07,91.03.05.2001,kk_new,1\n"
    )
    code, _, err = central("forecast", "--history", str(bad), "--no-db", "--data-dir", str(tmp_path))
    assert code == 2 and f"{bad}:3: week 2026-01-07 is a Wednesday" in err
    code, _, err = central("forecast", "--horizon", "2y", "--no-db", "--data-dir", str(tmp_path))
    assert code == 2 and "--horizon '2y'" in err
    code, _, err = central("forecast", "--no-db", "--data-dir", str(tmp_path))
    assert code == 1 and "no history to forecast from" in err


def test_save_keeps_the_kecamatan_forecast_for_the_plan_page(tmp_path: Path) -> None:
    import sqlite3

    gen = generate(Spec(villages=12, weeks=80, end=dt.date(2026, 11, 30), seed=2))
    csv_path = tmp_path / "riwayat.csv"
    csv_path.write_text(to_csv_text(gen.panel))
    db = tmp_path / "central.db"
    from central import compose
    from tests.support.office import office_settings

    compose.store(
        office_settings(tmp_path, f"sqlite:///{db}"), f"sqlite:///{db}"
    ).close()  # the office's database
    code, _, err = central(
        "forecast",
        "--history",
        str(csv_path),
        "--db",
        f"sqlite:///{db}",
        "--save",
        "--data-dir",
        str(tmp_path),
    )
    assert code == 0 and "saved as run 1" in err, err
    with sqlite3.connect(db) as conn:
        items = {r[0] for r in conn.execute("SELECT DISTINCT item FROM forecast_totals WHERE run_id = 1")}
        weeks = conn.execute("SELECT COUNT(DISTINCT step) FROM forecast_weeks").fetchone()[0]
    assert items == {"ktp_blank", "kk_form", "akta_paper", "staff_minutes"} and weeks == 8
