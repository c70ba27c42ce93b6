"""train.py refuses a distillation run it cannot do, before hours of training (no TensorFlow needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.training import train


def test_a_teacher_needs_the_mel_domain_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = tmp_path / "v6.weights.h5"
    weights.write_bytes(b"not read before the check")
    with pytest.raises(SystemExit):
        train.main(["--data", str(tmp_path), "--teacher", str(weights)])
    assert (
        "--teacher hears clean twins of the mel-domain examples: it needs --mel-aug"
        in capsys.readouterr().err
    )


def test_a_missing_teacher_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "gone.weights.h5"
    with pytest.raises(SystemExit):
        train.main(["--data", str(tmp_path), "--mel-aug", "--teacher", str(missing)])
    err = capsys.readouterr().err
    assert f"--teacher {missing}: no such weights file" in err and "from_tflite.py" in err
