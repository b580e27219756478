"""AU agreement on curves: detector against detector, and detector against people's AU codes.

**Two detectors** (:func:`curve_agreement`): per AU both detectors give (bilateral curves of
the same name, e.g. ``AU12``), over the frames where both have a value, pooled over the clips
both have: Pearson's r (:func:`scipy.stats.pearsonr`) and ICC(3,1), two-way mixed,
consistency, single rater (Shrout & Fleiss 1979; :func:`pingouin.intraclass_corr`, row
``ICC3`` / ``ICC(C,1)``). Each curve is first mapped to 0..1 by its declared scale
(:func:`workbench.detect.imported.normalise`; the workbench's own curves, already about 0..1,
as they are), so ICC compares like with like; r does not depend on it.

**Detector against a person** (:func:`detector_vs_human`): for each event the person coded
with AUs, the detector's normalised intensity of each AU at the person's apex (the middle
frame when the apex is empty) is a score, and whether the person's FACS code holds that AU
(:func:`workbench.facs.au_numbers`) is the truth. Per AU: the ROC AUC
(:func:`sklearn.metrics.roc_auc_score`) and the best F1 over thresholds
(:func:`sklearn.metrics.precision_recall_curve`) with its threshold. Events coded without AUs
say nothing about AUs and are left out. A coded AU whose score is under the threshold is a
*miss* (:func:`misses`): "the detector's AU12 missed the coder's AU12".

::

    frame     0    5    10   15   20
    coder          [=====^====]            aus 12 -> AU12 present at the apex (frame 10)
    AU12 curve ....::::||||::::....        intensity at frame 10 = the score
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from workbench import facs
from workbench.detect.find_curves import find_curves
from workbench.detect.imported import normalise
from workbench.schema import DETECTOR_PREFIX

CURVE_COLUMNS = ("au", "n_clips", "n_frames", "pearson_r", "icc_3_1")
HUMAN_COLUMNS = ("au", "n_events", "n_present", "auc", "f1", "threshold", "precision", "recall")


def bilateral(curves: xr.DataArray) -> xr.DataArray:
    """The bilateral AU curves, on 0..1 by their declared scale."""
    norm = normalise(curves)
    if "side" in norm.coords:
        norm = norm.isel(au=np.flatnonzero(norm["side"].values == ""))
    return norm


def _pairs(a: xr.DataArray, b: xr.DataArray, au: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = xr.align(a.sel(au=au), b.sel(au=au), join="inner")
    x, y = x.values.astype(float), y.values.astype(float)
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def icc_3_1(x: np.ndarray, y: np.ndarray) -> float:
    """ICC(3,1) of two raters' scores of the same targets (pingouin); NaN when undefined."""
    import pingouin

    if len(x) < 3 or np.ptp(np.r_[x, y]) == 0:
        return float("nan")
    n = len(x)
    long = pd.DataFrame(
        {"target": np.r_[np.arange(n), np.arange(n)], "rater": ["a"] * n + ["b"] * n, "score": np.r_[x, y]}
    )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # identical curves leave no error variance: pingouin's F test divides by zero, the ICC is 1
        warnings.simplefilter("ignore")
        table = pingouin.intraclass_corr(long, targets="target", raters="rater", ratings="score")
    row = table[table["Type"].isin(["ICC3", "ICC(C,1)"])]
    return float(row["ICC"].iloc[0])


def pearson_r(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r (scipy); NaN with fewer than 3 pairs or a constant curve."""
    from scipy.stats import pearsonr

    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(pearsonr(x, y).statistic)


def curve_agreement(pairs: Iterable[tuple[xr.DataArray, xr.DataArray]]) -> pd.DataFrame:
    """Per AU both detectors give: clips, frames, Pearson's r and ICC(3,1), pooled over the pairs.

    Parameters
    ----------
    pairs
        ``(curves of detector A, curves of detector B)`` per clip.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CURVE_COLUMNS`, one row per AU (AU number order).
    """
    pooled: dict[str, tuple[list, list, int]] = {}
    for a, b in pairs:
        a, b = bilateral(a), bilateral(b)
        for au in [str(n) for n in a["au"].values if n in set(b["au"].values)]:
            x, y = _pairs(a, b, au)
            xs, ys, n = pooled.setdefault(au, ([], [], 0))
            xs.append(x)
            ys.append(y)
            pooled[au] = (xs, ys, n + 1)
    rows = []
    for au, (xs, ys, n_clips) in sorted(pooled.items(), key=lambda kv: _au_number(kv[0])):
        x, y = np.concatenate(xs), np.concatenate(ys)
        rows.append((au, n_clips, len(x), pearson_r(x, y), icc_3_1(x, y)))
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


def _au_number(name: str) -> int:
    digits = "".join(ch for ch in name if ch.isdigit())
    return int(digits) if digits else 0


def apex_scores(curves: Mapping[str, xr.DataArray], events: pd.DataFrame) -> pd.DataFrame:
    """Per coded event and detector AU: the detector's intensity at the apex, and presence.

    Returns
    -------
    pandas.DataFrame
        Columns clip, event_id, apex, au, au_number, score, present (bool); events without
        AU codes, or on clips without curves, are left out.
    """
    rows = []
    for event in events.itertuples(index=False):
        if not str(event.aus).strip() or event.clip not in curves:
            continue
        coded = facs.au_numbers(event.aus)
        apex = int(event.apex) if not pd.isna(event.apex) else (int(event.onset) + int(event.offset)) // 2
        arr = bilateral(curves[event.clip])
        if apex not in set(arr["frame"].values.tolist()):
            continue
        at = arr.sel(frame=apex)
        for au, number, score in zip(arr["au"].values, arr["au_number"].values, at.values, strict=True):
            if np.isfinite(score):
                rows.append(
                    (event.clip, event.event_id, apex, str(au), int(number), float(score), int(number) in coded)
                )
    return pd.DataFrame(rows, columns=["clip", "event_id", "apex", "au", "au_number", "score", "present"])


def _best_f1(present: np.ndarray, score: np.ndarray) -> tuple[float, float, float, float]:
    """(F1, threshold, precision, recall) at the threshold with the best F1."""
    from sklearn.metrics import precision_recall_curve

    if not present.any():
        return (float("nan"),) * 4
    precision, recall, thresholds = precision_recall_curve(present, score)
    precision, recall = precision[:-1], recall[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    k = int(np.argmax(f1))
    return float(f1[k]), float(thresholds[k]), float(precision[k]), float(recall[k])


def detector_vs_human(scores: pd.DataFrame) -> pd.DataFrame:
    """Per AU: events, events where the person coded it, ROC AUC, best F1 and its threshold.

    Parameters
    ----------
    scores
        From :func:`apex_scores`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`HUMAN_COLUMNS`; AUC is NaN unless both present and absent events exist.
    """
    from sklearn.metrics import roc_auc_score

    rows = []
    for au, group in sorted(scores.groupby("au"), key=lambda kv: _au_number(kv[0])):
        present, score = group["present"].to_numpy(bool), group["score"].to_numpy(float)
        auc = float(roc_auc_score(present, score)) if 0 < present.sum() < len(present) else float("nan")
        rows.append((au, len(group), int(present.sum()), auc, *_best_f1(present, score)))
    return pd.DataFrame(rows, columns=list(HUMAN_COLUMNS))


def misses(scores: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Coded AUs the detector's curve stayed under its best threshold for, at the coder's apex.

    Returns
    -------
    pandas.DataFrame
        The rows of ``scores`` that are misses, with the AU's ``threshold``.
    """
    thresholds = table.set_index("au")["threshold"]
    out = scores[scores["present"]].copy()
    out["threshold"] = out["au"].map(thresholds)
    return out[out["score"] < out["threshold"]].reset_index(drop=True)


def records(table: pd.DataFrame) -> dict[str, dict]:
    """A table as ``{au: {column: value}}`` for JSON (NaN stays NaN; the caller cleans)."""
    return {str(row["au"]): {k: v for k, v in row.items() if k != "au"} for row in table.to_dict("records")}


# --------------------------------------------------------------------------- two raters


@dataclass
class AUCurves:
    """AU agreement on curves of two raters (see :func:`compare`).

    Attributes
    ----------
    detectors
        ``{"reference": name or None, "hypothesis": name or None}``: whose curves were found.
    between
        :func:`curve_agreement` when both raters are detectors with curves, else None.
    human
        :func:`detector_vs_human` when one is a detector with curves and the other a person.
    scores
        :func:`apex_scores` behind ``human`` (for plots and the review queue).
    pairs
        ``(clip, curves A, curves B)`` behind ``between`` (for plots).
    """

    detectors: dict[str, str | None]
    between: pd.DataFrame | None = None
    human: pd.DataFrame | None = None
    scores: pd.DataFrame | None = None
    pairs: list = field(default_factory=list)
    human_rater: str | None = None

    def as_dict(self) -> dict:
        """The ``au_curves`` key of ``workbench agree --json``."""
        out: dict = {"detectors": dict(self.detectors), "between_detectors": None, "detector_vs_human": None}
        if self.between is not None:
            out["between_detectors"] = {"n_clips": len(self.pairs), "per_au": records(self.between)}
        if self.human is not None:
            detector = self.detectors["reference"] or self.detectors["hypothesis"]
            out["detector_vs_human"] = {
                "detector": detector,
                "human": self.human_rater,
                "n_events": int(self.scores["event_id"].nunique()) if len(self.scores) else 0,
                "n_misses": len(misses(self.scores, self.human)),
                "per_au": records(self.human),
            }
        return out


def _detector_of(spec: str) -> tuple[str, str] | None:
    """``(dataset, detector name)`` of a ``DATASET:detector:NAME`` spec, else None."""
    dataset, sep, rater = spec.partition(":")
    if not sep or not rater.startswith(DETECTOR_PREFIX):
        return None
    return dataset, rater[len(DETECTOR_PREFIX) :]


def compare(
    reference: str,
    hypothesis: str,
    ref_events: pd.DataFrame,
    hyp_events: pd.DataFrame,
    project: object = ".",
) -> AUCurves | None:
    """AU agreement on curves of two raters named ``DATASET:RATER``, or None without curves.

    Curves come from :func:`workbench.detect.find_curves.find_curves` (imported into the
    project, else a built-in detector's analysis cache; nothing is computed). A person's
    side is their events.
    """
    found = {}
    for side, spec in (("reference", reference), ("hypothesis", hypothesis)):
        named = _detector_of(spec) if ":" in spec and not str(spec).lower().endswith((".csv", ".parquet")) else None
        found[side] = (named[1], find_curves(project, named[0], named[1])) if named else None
        if found[side] is not None and not found[side][1]:
            found[side] = None
    if found["reference"] is None and found["hypothesis"] is None:
        return None
    result = AUCurves({side: (f[0] if f else None) for side, f in found.items()})
    if found["reference"] and found["hypothesis"]:
        a, b = found["reference"][1], found["hypothesis"][1]
        result.pairs = [(clip, a[clip], b[clip]) for clip in sorted(set(a) & set(b))]
        result.between = curve_agreement((x, y) for _, x, y in result.pairs)
        return result
    side = "reference" if found["reference"] else "hypothesis"
    person, events = (hypothesis, hyp_events) if side == "reference" else (reference, ref_events)
    if _detector_of(person) is not None:
        return result
    result.human_rater = person
    result.scores = apex_scores(found[side][1], events)
    result.human = detector_vs_human(result.scores)
    return result
