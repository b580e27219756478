"""The workbench command's core sub-commands, as a user types them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.framecode import coded_frame
from workbench.cli import build_parser, main
from workbench.encode import write_video
from workbench.video import write_folder


def test_info_prints_frames_fps_duration_size(tmp_path, capsys):
    path = write_video((coded_frame(n) for n in range(45)), tmp_path / "v.mp4", fps=30)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "frames  45" in out and "fps  30" in out and "1.500 s" in out and "640x480" in out
    assert "normalised  no" in out


def test_info_waits_for_the_normalised_copy_and_says_why(tmp_path, capsys, monkeypatch):
    from tests.unit.test_video import encode

    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    path = encode(tmp_path / "camera.mp4", range(45), gop=250, preset="veryfast")
    assert main(["info", str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "frames  45" in out and "normalised  yes: " in out and "keyframes up to 45 frames apart" in out
    assert f"read from  {tmp_path / 'cache' / 'normalised'}" in out


def test_info_on_a_large_camera_file_says_its_copy_is_smaller(tmp_path, capsys, monkeypatch):
    from tests.unit.test_video import encode

    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    path = encode(tmp_path / "camera.mp4", range(30), gop=250, size=(1280, 720))
    assert main(["info", str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "size  1280x720" in out and "(1040x584; full resolution from the clip)" in out


def test_info_on_an_image_folder_shows_dataset_numbers(tmp_path, capsys):
    folder = write_folder((coded_frame(n) for n in range(4)), tmp_path / "EP01", start=46)
    assert main(["info", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "fps  200" in out and "numbers  46..49" in out


def test_info_on_a_missing_file_fails_with_a_clear_message(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.mp4")]) == 2
    assert "missing.mp4 does not exist" in capsys.readouterr().err


def test_every_command_is_registered():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {"sample", "info", "lab"} <= set(sub.choices)


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "workbench.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "micro-expressions" in out.stdout


@pytest.mark.parametrize("argv", [["info"], ["sample"], ["nope"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
