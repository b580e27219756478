"""``workbench import-curves``: check against the clip, save into the project, spot, write events."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.detector_files import pulse, write_openface, write_pyfeat
from workbench.cli import main
from workbench.detect.import_curves import import_curves, imported_curves, load_imported
from workbench.project import Project
from workbench.schema import events_from_records, make_event, validate_events
from workbench.video import write_folder

N, FPS = 60, 30.0


@pytest.fixture
def project(tmp_path) -> Project:
    """A project with one 60-frame image-folder clip at 30 fps: data/demo/c1."""
    write_folder(np.full((N, 8, 8, 3), 128, dtype=np.uint8), tmp_path / "data" / "demo" / "c1", fps=FPS)
    return Project(tmp_path)


def openface(tmp_path, name="of.csv", **kwargs):
    return write_openface(tmp_path / name, N, {12: pulse(N, 20, 32, 4.0)}, fps=FPS, **kwargs)


def test_import_saves_curves_in_the_project_and_events_for_the_detector(project, tmp_path):
    result = import_curves("openface", openface(tmp_path), dataset="demo", clip="c1", project=project)
    path = project.root / "curves" / "demo" / "openface" / "c1.nc"
    assert result.paths["au"] == path == project.curves_path("demo", "openface", "c1")
    assert (project.root / "curves" / "demo" / "openface" / "c1.presence.nc").exists()
    saved = load_imported(project, "demo", "openface", "c1")
    assert saved.attrs["scale"] == "0-5 intensity (OpenFace AU_r)" and saved.sizes["frame"] == N
    assert list(imported_curves(project, "demo", "c1")) == ["openface"]
    events = project.store.read("demo", "detector:openface")
    assert len(events) == 1 and events.iloc[0]["aus"] == "12" and events.iloc[0]["clip"] == "c1"


def test_importing_again_replaces_only_that_clips_events(project, tmp_path):
    other = make_event(clip="c2", rater="detector:openface", onset=1, offset=5, fps=FPS)
    project.store.write("demo", "detector:openface", validate_events(events_from_records([other])))
    import_curves("openface", openface(tmp_path), dataset="demo", clip="c1", project=project)
    import_curves("openface", openface(tmp_path), dataset="demo", clip="c1", project=project)
    events = project.store.read("demo", "detector:openface")
    assert sorted(events["clip"]) == ["c1", "c2"]


def test_bad_input_changes_nothing_already_saved(project, tmp_path):
    import_curves("openface", openface(tmp_path), dataset="demo", clip="c1", project=project)
    path = project.curves_path("demo", "openface", "c1")
    before = (path.read_bytes(), project.store.path("demo", "detector:openface").read_bytes())
    bad = openface(tmp_path, "bad.csv", frames=[*range(1, 31), 30, *range(31, 60)])
    with pytest.raises(ValueError, match="one row per frame"):
        import_curves("openface", bad, dataset="demo", clip="c1", project=project)
    after = (path.read_bytes(), project.store.path("demo", "detector:openface").read_bytes())
    assert after == before
    assert not list(path.parent.glob(".*part"))


def test_cli_prints_a_summary_and_one_error_for_bad_input(project, tmp_path, capsys):
    code = main(
        ["import-curves", "pyfeat", str(write_pyfeat(tmp_path / "pf.csv", N, {12: pulse(N, 20, 32, 0.9)},
         no_face=(3,))), "--dataset", "demo", "--clip", "c1", "--project", str(project.root)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "pyfeat -> pyfeat: demo/c1, 60 frames at 30 fps, 20 AU curves (0-1 probability (py-feat))" in out
    assert "warning: 1 frame(s) without a face (no detection) are NaN" in out
    assert "1 event(s) spotted -> rater detector:pyfeat" in out
    code = main(
        ["import-curves", "openface", str(tmp_path / "pf.csv"), "--dataset", "demo", "--clip", "c1",
         "--project", str(project.root)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "import it as 'pyfeat'" in err and "pf.csv, line 1)" in err


def test_a_detector_name_and_spot_options_from_the_command_line(project, tmp_path, capsys):
    argv = ["import-curves", "openface", str(openface(tmp_path)), "--dataset", "demo", "--clip", "c1",
            "--project", str(project.root), "--detector", "openface-v2.2", "--threshold", "0.95"]  # fmt: skip
    assert main(argv) == 0
    assert "0 event(s) spotted -> rater detector:openface-v2.2" in capsys.readouterr().out
    assert project.imported_detectors("demo") == ["openface-v2.2"]


def test_a_clip_that_does_not_exist(project, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        import_curves("openface", openface(tmp_path), dataset="demo", clip="nope", project=project)
