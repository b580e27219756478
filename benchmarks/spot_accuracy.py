"""Spotting accuracy of each detector on real footage, inserted micro-expressions and the sample.

Three sets, each scored per detector (``mediapipe``, ``flow`` and ``both``):

Detector ``both`` is MediaPipe's events plus the flow events that overlap none of them and
whose AUs the blendshapes confirmed.

* **natural**: the four real face clips fetched from PyPI / npm (``tests/support/realfaces.py``)
  against the hand labels (``tests/data/realfaces-labels.csv``); false alarms per minute on
  the labelled expressionless stretches (``realfaces-neutral.csv``).
* **inserted 30 / 200 fps**: micro-expressions warped into stretches of that real footage at
  known frames (``tests/support/inserted.py``): 2-15 frames at 30 fps, 8-100 at 200 fps;
  every third stretch is left as it is, for false alarms per minute.
* **sample**: the built-in synthetic clips and their truth.

Tuned on the natural set: ``SpotParams.rest_level``, ``speech_prominence`` and ``region_au_floor``
(:data:`TUNED`). The natural set is followed by a leave-one-clip-out figure for each: for each
clip, the value that scores best on the other three, scored on that clip alone; TP / FP / FN
summed over the four held-out clips.

Scoring: TP / FP / FN and F1 at IoU >= 0.5 (the MEGC rule, :func:`workbench.agreement.match`),
micro and macro apart (an event's kind from its duration) and all together; the median
absolute apex error and the share of right emotions over the matched pairs.

The analysis cache is the user's (a second run reads face data and curves back).

Run: ``.venv/bin/python benchmarks/spot_accuracy.py [--sets natural,inserted30,inserted200,sample]``
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.agreement import match
from workbench.detect.pipeline import ClipTask, run_tasks
from workbench.detect.registry import get_detectors
from workbench.detect.spot import SpotParams
from workbench.paths import user_cache
from workbench.schema import empty_events
from workbench.video import open_clip

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.support
from tests.support import inserted, realfaces  # noqa: E402

DETECTORS = ("mediapipe", "flow", "both")
#: Spotting parameters chosen by looking at the natural set, with the values tried.
#: name -> (values tried, the detector they change).
TUNED = {
    "rest_level": ((0.0, 0.25, 0.5, 0.75, 1.0), "mediapipe"),
    "speech_prominence": ((0.1, 0.15, 0.25, 0.35, 0.5), "mediapipe"),
    "region_au_floor": ((0.5, 0.75, 1.0, 1.5), "both"),
}


def analyse_clips(paths: list[Path], spot_params: SpotParams | None = None, names=None) -> dict[str, pd.DataFrame]:
    """Events of each detector over ``paths`` (clip ids: file stems or ``names``); also ``both``."""
    tasks = [ClipTask(Path(p), "bench", (names or {}).get(Path(p), Path(p).stem), clip=open_clip(p)) for p in paths]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        events = run_tasks(tasks, get_detectors("all"), spot_params=spot_params, jobs=os.cpu_count())
    failed = [t for t in tasks if t.error]
    if failed:
        raise RuntimeError("; ".join(f"{t.path}: {t.error}" for t in failed))
    out = {d: events[events["rater"] == f"detector:{d}"].reset_index(drop=True) for d in DETECTORS[:2]}
    out["both"] = combine(out["mediapipe"], out["flow"])
    return out


def combine(mediapipe: pd.DataFrame, flow: pd.DataFrame) -> pd.DataFrame:
    """Both detectors as one: the MediaPipe events, plus the flow events that overlap none of
    them and whose AUs the blendshapes confirmed (a non-empty code)."""
    extra = []
    for _, e in flow.iterrows():
        mine = mediapipe[mediapipe["clip"] == e["clip"]]
        overlaps = ((mine["onset"] <= e["offset"]) & (mine["offset"] >= e["onset"])).any()
        if not overlaps and str(e["aus"]):
            extra.append(e)
    both = pd.concat([mediapipe, pd.DataFrame(extra)], ignore_index=True) if extra else mediapipe
    return both if len(both) else empty_events()


def score(truth: pd.DataFrame, hyp: pd.DataFrame) -> dict:
    """TP, FP, FN, F1, median |apex error|, emotion accuracy over matched pairs."""
    m = match(truth, hyp, iou=0.5)
    tp = len(m.pairs)
    fp, fn = len(hyp) - tp, len(truth) - tp
    f1 = 2 * tp / max(2 * tp + fp + fn, 1)
    if tp:
        ref = truth.set_index("event_id").loc[m.pairs["ref_id"]]
        out = hyp.set_index("event_id").loc[m.pairs["hyp_id"]]
        apex = float(np.median(np.abs(out["apex"].to_numpy(float) - ref["apex"].to_numpy(float))))
        emotion = float(np.mean(out["emotion"].astype(str).to_numpy() == ref["emotion"].astype(str).to_numpy()))
    else:
        apex = emotion = float("nan")
    return {"TP": tp, "FP": fp, "FN": fn, "F1": f1, "apex": apex, "emotion": emotion}


def false_alarms(hyp: pd.DataFrame, quiet: pd.DataFrame, fps: dict[str, float]) -> tuple[int, float]:
    """Events whose apex falls in a stretch without expression, and their rate per minute."""
    count, minutes = 0, 0.0
    for q in quiet.itertuples(index=False):
        h = hyp[hyp["clip"] == q.clip]
        count += int(((h["apex"] >= q.start) & (h["apex"] <= q.end)).sum())
        minutes += (q.end - q.start + 1) / fps[q.clip] / 60
    return count, count / minutes if minutes else float("nan")


def table(name: str, truth: pd.DataFrame, events: dict, quiet: pd.DataFrame | None, fps: dict) -> pd.DataFrame:
    rows = []
    for det, hyp in events.items():
        for kind in ("micro", "macro", "all"):
            t = truth if kind == "all" else truth[truth["kind"] == kind]
            h = hyp if kind == "all" else hyp[hyp["kind"] == kind]
            if kind != "all" and t.empty and h.empty:
                continue
            row = {"set": name, "detector": det, "kind": kind, **score(t, h)}
            if kind == "all" and quiet is not None and len(quiet):
                row["false/min"] = false_alarms(hyp, quiet, fps)[1]
            rows.append(row)
    return pd.DataFrame(rows)


def counts(truth: pd.DataFrame, hyp: pd.DataFrame) -> np.ndarray:
    """TP, FP, FN per clip of ``truth``: ``(clip, 3)`` in the order of ``truth``'s clips."""
    clips = list(dict.fromkeys(truth["clip"]))
    rows = [score(truth[truth["clip"] == c], hyp[hyp["clip"] == c]) for c in clips]
    return np.array([[r["TP"], r["FP"], r["FN"]] for r in rows])


def _f1(tp_fp_fn: np.ndarray) -> float:
    tp, fp, fn = tp_fp_fn
    return 2 * tp / max(2 * tp + fp + fn, 1)


def leave_one_clip_out(paths: list[Path], truth: pd.DataFrame, base: SpotParams) -> str:
    """F1 when each tuned parameter is chosen on three clips and scored on the fourth.

    For each parameter of :data:`TUNED` (the others at ``base``), every value is run once over
    every clip; for each held-out clip the value with the best pooled F1 on the other clips
    (ties: the value nearest ``base``'s; the line lists the tied values, between which the
    other clips give no evidence) is scored on it. TP / FP / FN are summed over the
    held-out clips.
    """
    lines = []
    for name, (grid, detector) in TUNED.items():
        per_value = {
            v: counts(truth, analyse_clips(paths, replace(base, **{name: v}))[detector]) for v in grid
        }  # fmt: skip
        clips = list(dict.fromkeys(truth["clip"]))
        held, chosen = np.zeros(3, int), []
        for i, clip in enumerate(clips):
            rest = [j for j in range(len(clips)) if j != i]
            train = {v: _f1(per_value[v][rest].sum(0)) for v in grid}
            best = max(grid, key=lambda v: (train[v], -abs(v - getattr(base, name))))
            held += per_value[best][i]
            tied = [f"{v:g}" for v in grid if train[v] == train[best]]
            chosen.append(f"{clip} {best:g}" + (f" (tied: {'/'.join(tied)})" if len(tied) > 1 else ""))
        tp, fp, fn = held
        lines.append(
            f"leave one clip out ({detector}, {name} from {list(grid)}): TP {tp} FP {fp} FN {fn} "
            f"F1 {_f1(held):.2f}; chosen: {', '.join(chosen)}; "
            f"all clips at {getattr(base, name):g}: F1 {_f1(per_value[getattr(base, name)].sum(0)):.2f}"
        )
    return "\n".join(lines)


def natural(spot_params: SpotParams) -> pd.DataFrame:
    paths = [realfaces.fetch(n) for n in realfaces.CLIPS]
    events = analyse_clips(paths, spot_params)
    fps = {n: c.fps for n, c in realfaces.CLIPS.items()}
    quiet = realfaces.neutral().rename(columns=str)
    result = table("natural", realfaces.labels(), events, quiet, fps)
    result.attrs["footer"] = leave_one_clip_out(paths, realfaces.labels(), spot_params)
    return result


def with_inserted(fps: float, spot_params: SpotParams) -> pd.DataFrame:
    from workbench.detect import analyse

    sources = {}
    for name in ("clm_cap12", "clm_cap13"):
        clip = open_clip(realfaces.fetch(name))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sources[name] = (clip, analyse(clip, clip_id=name).face)
    folder = user_cache() / "realfaces" / "inserted"
    paths, truth, quiet = inserted.make(folder, sources, fps)
    events = analyse_clips(paths, spot_params, names={p: p.name for p in paths})
    return table(f"inserted {fps:g} fps", truth, events, quiet, {p.name: fps for p in paths})


def sample(spot_params: SpotParams) -> pd.DataFrame:
    import tempfile

    from workbench.project import Project
    from workbench.sample import make_sample, truth_events

    repo = Path(__file__).resolve().parents[1]
    folder = repo / "data" / "sample"
    if not folder.exists():
        folder = Path(tempfile.mkdtemp()) / "project"
        make_sample(folder)
        folder = Project(folder).root / "data" / "sample"
    paths = sorted(folder.glob("*.mp4"))
    events = analyse_clips(paths, spot_params, names={p: p.name for p in paths})
    return table("sample", truth_events(), events, None, {})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="natural,inserted30,inserted200,sample")
    args = ap.parse_args(argv)
    os.environ.setdefault("GLOG_minloglevel", "2")
    params = SpotParams()
    runs = {
        "natural": lambda: natural(params),
        "inserted30": lambda: with_inserted(30.0, params),
        "inserted200": lambda: with_inserted(200.0, params),
        "sample": lambda: sample(params),
    }
    pd.set_option("display.width", 160)
    for name in args.sets.split(","):
        result = runs[name]()
        print(result.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
        if result.attrs.get("footer"):
            print(result.attrs["footer"])
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
