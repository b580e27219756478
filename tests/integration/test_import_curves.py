"""Import, spot, agree, end to end: other detectors' per-frame output on the built-in sample.

The sample's truth says which AUs move when; this test writes what an OpenFace run and a
py-feat run would have written for it (AU curves rising from each event's onset to its apex
and back by its offset, a few frames without a face), imports both with ``workbench
import-curves``, and compares them with the truth and with each other through ``workbench
agree --json`` and ``workbench report``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.support.detector_files import write_openface, write_pyfeat
from workbench import facs
from workbench.cli import main
from workbench.store import Store

N, FPS = 1000, 200.0


def au_tracks(truth, clip: str, peak: float, rng) -> dict[int, np.ndarray]:
    """Per AU: a ramp onset -> apex -> offset for every truth event coding it, plus noise."""
    tracks: dict[int, np.ndarray] = {}
    for event in truth[truth["clip"] == clip].itertuples():
        on, apex, off = int(event.onset), int(event.apex), int(event.offset)
        shape = np.zeros(N)
        shape[on : apex + 1] = np.linspace(0, 1, apex - on + 1)
        shape[apex : off + 1] = np.linspace(1, 0, off - apex + 1)
        for au in facs.au_numbers(event.aus):
            tracks.setdefault(au, np.zeros(N))
            tracks[au] = np.maximum(tracks[au], peak * shape)
    for au in (1, 2, 4, 5, 6, 7, 9, 10, 12, 26):
        tracks[au] = np.clip(tracks.get(au, np.zeros(N)) + rng.normal(0, peak * 0.01, N), 0, None)
    return tracks


@pytest.fixture(scope="module")
def imported(sample_project, tmp_path_factory):
    out = tmp_path_factory.mktemp("detector_output")
    truth = Store(sample_project / "annotations").read("sample", "truth")
    rng = np.random.default_rng(1)
    codes = []
    for clip in sorted(truth["clip"].unique()):
        no_face = [1 if 900 <= i < 905 else 0 for i in range(N)]
        of = write_openface(out / f"{clip}.openface.csv", N, au_tracks(truth, clip, 3.0, rng), fps=FPS,
                            success=[1 - x for x in no_face])  # fmt: skip
        pf = write_pyfeat(out / f"{clip}.pyfeat.csv", N, au_tracks(truth, clip, 0.8, rng), no_face=range(900, 905))
        for fmt, path in (("openface", of), ("pyfeat", pf)):
            argv = ["import-curves", fmt, str(path), "--dataset", "sample", "--clip", clip,
                    "--project", str(sample_project)]  # fmt: skip
            codes.append(main(argv))
    return sample_project, codes


def agree(capsys, project, ref: str, hyp: str) -> dict:
    assert main(["agree", ref, hyp, "--json", "--fps", "200", "--project", str(project)]) == 0
    return json.loads(capsys.readouterr().out)


def test_import_then_spot_finds_the_truth(imported, capsys):
    project, codes = imported
    assert codes == [0, 0, 0, 0]
    assert sorted(p.name for p in (project / "curves" / "sample" / "openface").glob("*.nc")) == [
        "astronaut_1.mp4.nc", "astronaut_1.mp4.presence.nc", "astronaut_2.mp4.nc", "astronaut_2.mp4.presence.nc",
    ]  # fmt: skip
    result = agree(capsys, project, "sample:truth", "sample:detector:openface")
    print(f"openface vs truth: F1 {result['f1']:.3f}, TP {result['tp']} FP {result['fp']} FN {result['fn']}")
    assert result["f1"] >= 0.9


def test_agree_json_has_au_curves_against_the_coder(imported, capsys):
    project, _ = imported
    curves = agree(capsys, project, "sample:truth", "sample:detector:openface")["au_curves"]
    assert curves["detectors"] == {"reference": None, "hypothesis": "openface"}
    human = curves["detector_vs_human"]
    assert human["detector"] == "openface" and human["human"] == "sample:truth"
    au12 = human["per_au"]["AU12"]
    print(f"AU12 at truth apexes: AUC {au12['auc']:.3f}, F1 {au12['f1']:.3f}, threshold {au12['threshold']:.3f}")
    assert au12["auc"] == 1.0 and au12["f1"] == 1.0 and human["n_misses"] == 0
    assert curves["between_detectors"] is None


def test_agree_json_between_two_detectors(imported, capsys):
    project, _ = imported
    curves = agree(capsys, project, "sample:detector:openface", "sample:detector:pyfeat")["au_curves"]
    between = curves["between_detectors"]
    assert between["n_clips"] == 2
    au12 = between["per_au"]["AU12"]
    print(f"openface vs pyfeat AU12: r {au12['pearson_r']:.3f}, ICC(3,1) {au12['icc_3_1']:.3f}")
    assert au12["n_frames"] == 2 * (N - 5)
    assert au12["pearson_r"] > 0.95 and au12["icc_3_1"] > 0.9


def test_report_has_a_plot_per_au(imported, tmp_path, capsys):
    project, _ = imported
    out = tmp_path / "r.html"
    argv = ["report", "sample:truth", "sample:detector:openface", "--fps", "200", "--project", str(project),
            "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    page = out.read_text()
    assert "Action Units on openface's curves at sample:truth's apexes" in page
    assert "AU12 AUC 1.00" in page
