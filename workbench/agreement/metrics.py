"""Agreement metrics as objects, in the manner of pyannote.metrics.

A metric declares its ``components`` (counts and sums that add up across clips).
Calling it on two raters' events matches them (or takes a ready
:class:`~workbench.agreement.match.Matching`), computes the components clip by
clip, remembers them and accumulates them; ``abs(metric)`` is the value over
everything seen so far, and :meth:`AgreementMetric.report` is a DataFrame with
one row per clip and a final ``TOTAL`` row.

Example
-------
::

    frame   0    5    10   15   20   25   30
    ref     |-----|        |---|
    hyp      |-----|            |---|

>>> from workbench.schema import events_from_records, make_event
>>> ref = events_from_records([make_event("c", "a", 0, 6), make_event("c", "a", 15, 19)])
>>> hyp = events_from_records([make_event("c", "b", 1, 7), make_event("c", "b", 20, 24)])
>>> f1 = SpottingF1()
>>> f1(ref, hyp)  # TP 1, FP 1, FN 1
0.5
>>> f1.report().loc["TOTAL", ["tp", "fp", "fn"]].tolist()
[1.0, 1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pandas as pd

from workbench.agreement.match import Frames, Matching, match
from workbench.schema import FRAME_COLUMNS, frame_to_ms, kind_from_duration


def ratio(num: float | np.ndarray, den: float | np.ndarray) -> float | np.ndarray:
    """``num / den`` with NaN where ``den`` is 0."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den != 0)
    return out if out.ndim else float(out)


class AgreementMetric:
    """Base class: components per clip, accumulated; a value; a report.

    Parameters
    ----------
    iou, mode, tolerance
        How events are matched (see :func:`workbench.agreement.match.match`).
    fps : float, optional
        Frames per second for errors in ms, used where the events carry no
        ``fps`` column.
    """

    #: Name of the metric's value in reports.
    name: ClassVar[str] = "value"
    #: Additive components, summed over clips.
    components: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        iou: float = 0.5,
        mode: str = "one-to-one",
        tolerance: int | None = None,
        fps: float | None = None,
    ):
        self.iou, self.mode, self.tolerance, self.fps = iou, mode, tolerance, fps
        self.reset()

    def reset(self) -> None:
        """Forget every clip seen so far."""
        self.results_: list[pd.DataFrame] = []
        self.accumulated_: dict[str, float] = dict.fromkeys(self.components, 0.0)

    def match(self, reference: pd.DataFrame, hypothesis: pd.DataFrame) -> Matching:
        """Match two raters with this metric's settings."""
        return match(reference, hypothesis, iou=self.iou, mode=self.mode, tolerance=self.tolerance)

    def __call__(
        self,
        reference: pd.DataFrame | None = None,
        hypothesis: pd.DataFrame | None = None,
        *,
        matching: Matching | None = None,
        detailed: bool = False,
    ) -> float | dict[str, float]:
        """Compute and accumulate the components of these events (all their clips).

        Returns
        -------
        float or dict
            The metric's value on these events, or (``detailed``) their
            components and the value under :attr:`name`.
        """
        if matching is None:
            matching = self.match(reference, hypothesis)
        per_clip = self.compute_components(matching)
        self.results_.append(per_clip)
        totals = {c: float(per_clip[c].sum()) for c in self.components}
        for c, v in totals.items():
            self.accumulated_[c] += v
        value = self.compute_metric(totals)
        return {**totals, self.name: value} if detailed else value

    def compute_components(self, matching: Matching) -> pd.DataFrame:
        """One row per clip (index ``clip``), one column per component."""
        raise NotImplementedError

    def compute_metric(self, components: Mapping[str, float]) -> float:
        """The metric's value from (accumulated) components."""
        raise NotImplementedError

    def derive(self, table: pd.DataFrame) -> pd.DataFrame:
        """Add the report's derived columns to a table of components (vectorised)."""
        return table

    def __abs__(self) -> float:
        return self.compute_metric(self.accumulated_)

    def __getitem__(self, component: str) -> float:
        return self.accumulated_[component]

    def total(self) -> pd.Series:
        """The ``TOTAL`` row of :meth:`report` alone (no per-clip values computed)."""
        total = pd.DataFrame([self.accumulated_], index=pd.Index(["TOTAL"], name="clip"))
        return self.derive(total[list(self.components)].astype(float)).loc["TOTAL"]

    def report(self) -> pd.DataFrame:
        """One row per clip and a ``TOTAL`` row: components and derived values."""
        if self.results_:
            per_clip = pd.concat(self.results_).groupby(level=0, sort=True).sum()
        else:
            per_clip = pd.DataFrame(columns=list(self.components), dtype=float)
        total = pd.DataFrame([self.accumulated_], index=["TOTAL"])[list(self.components)]
        table = pd.concat([per_clip.astype(float), total.astype(float)])
        table.index.name = "clip"
        return self.derive(table)


def frame_rates(frames: Frames, fps: float | None) -> np.ndarray:
    """Frames per second of each event (canonical order).

    The events' ``fps`` column where given, else ``fps``, else NaN.
    """
    rate = np.full(len(frames), np.nan if fps is None else float(fps))
    if "fps" in frames.table.columns:
        given = pd.to_numeric(pd.Series(frames.column("fps")), errors="coerce").to_numpy(dtype=float)
        rate = np.where(np.isnan(given), rate, given)
    return rate


def kinds(frames: Frames, fps: float | None) -> np.ndarray:
    """Each event's kind (canonical order); a missing kind comes from duration and fps.

    Uses :func:`workbench.schema.kind_from_duration`; stays None without fps.
    """
    kind = frames.column("kind").copy() if "kind" in frames.table.columns else np.full(len(frames), None)
    missing = pd.isna(kind)
    rate = frame_rates(frames, fps)
    for k in np.flatnonzero(missing & ~np.isnan(rate)):
        kind[k] = kind_from_duration(frames.onset[k], frames.offset[k], rate[k])
    return kind


class SpottingF1(AgreementMetric):
    """Spotting: TP, FP, FN pooled over clips (as MEGC pools), precision, recall, F1.

    Parameters
    ----------
    kind : {"micro", "macro"}, optional
        Score only events of this kind: both raters' events of that kind are
        matched again on their own (a missing kind is derived from duration and
        fps where possible; events of unknown kind are left out).
    """

    name = "f1"
    components = ("tp", "fp", "fn")

    def __init__(self, *args, kind: str | None = None, **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)

    def compute_components(self, matching: Matching) -> pd.DataFrame:
        if self.kind is not None:
            ref, hyp = matching.reference, matching.hypothesis
            matching = matching.subset(kinds(ref, self.fps) == self.kind, kinds(hyp, self.fps) == self.kind)
        return matching.counts_by_clip().astype(float)

    def compute_metric(self, components: Mapping[str, float]) -> float:
        tp, fp, fn = (components[c] for c in self.components)
        return ratio(2 * tp, 2 * tp + fp + fn)

    def derive(self, table: pd.DataFrame) -> pd.DataFrame:
        tp, fp, fn = (table[c].to_numpy() for c in self.components)
        return table.assign(
            precision=ratio(tp, tp + fp),
            recall=ratio(tp, tp + fn),
            f1=ratio(2 * tp, 2 * tp + fp + fn),
        )


def pair_rates(matching: Matching, fps: float | None) -> np.ndarray:
    """Frames per second of each pair: the reference's rate, else the hypothesis'."""
    ref = frame_rates(matching.reference, fps)[matching.ref_index]
    hyp = frame_rates(matching.hypothesis, fps)[matching.hyp_index]
    return np.where(np.isnan(ref), hyp, ref)


ERROR_COLUMNS = (
    "clip",
    "ref_id",
    "hyp_id",
    *(f"{p}_error{u}" for p in FRAME_COLUMNS for u in ("", "_ms")),
    "apex_in_ref",
    "apex_in_hyp",
)


def _errors_ms(frames: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Frame errors to ms through :func:`workbench.schema.frame_to_ms`, one fps at a time."""
    out = np.full(len(frames), np.nan)
    for fps in np.unique(rate[~np.isnan(rate)]):
        where = rate == fps
        out[where] = frame_to_ms(frames[where], fps)
    return out


def boundary_errors(matching: Matching, fps: float | None = None) -> pd.DataFrame:
    """Signed errors (hypothesis - reference) of each matched pair.

    Columns: clip, ref_id, hyp_id, ``<phase>_error`` in frames and
    ``<phase>_error_ms`` for onset, apex, offset (NaN where an apex is
    missing or no fps is known), ``apex_in_ref`` (the hypothesis' apex lies in
    the reference's interval) and ``apex_in_hyp`` (the other way round; NaN
    where the apex is missing).
    """
    pairs = matching.paired(FRAME_COLUMNS)
    rate = pair_rates(matching, fps)
    out = pairs[["clip", "ref_id", "hyp_id"]].copy()
    for phase in FRAME_COLUMNS:
        err = pairs[f"{phase}_hyp"].to_numpy() - pairs[f"{phase}_ref"].to_numpy()
        out[f"{phase}_error"] = err
        out[f"{phase}_error_ms"] = _errors_ms(err, rate)
    for name, apex, side in (
        ("apex_in_ref", "apex_hyp", "ref"),
        ("apex_in_hyp", "apex_ref", "hyp"),
    ):
        a = pairs[apex].to_numpy()
        inside = (a >= pairs[f"onset_{side}"].to_numpy()) & (a <= pairs[f"offset_{side}"].to_numpy())
        out[name] = np.where(np.isnan(a), np.nan, inside.astype(float))
    return out


class BoundaryError(AgreementMetric):
    """Onset / apex / offset errors of matched pairs, in frames and ms, and ASR.

    Errors are hypothesis minus reference: a positive bias means the
    hypothesis marks later. ``asr`` (apex spotting rate) is the share of pairs
    whose hypothesis apex lies inside the reference interval. The value
    (``abs(metric)``) is the mean absolute onset and offset error in frames.
    """

    name = "boundary mae"
    components = (
        *(f"{s}_{p}" for p in FRAME_COLUMNS for s in ("n", "abs", "signed", "n_ms", "abs_ms", "signed_ms")),
        "n_apex_ref",
        "apex_in_ref",
        "n_apex_hyp",
        "apex_in_hyp",
    )

    def reset(self) -> None:
        super().reset()
        self.errors_: list[pd.DataFrame] = []

    def compute_components(self, matching: Matching) -> pd.DataFrame:
        errors = boundary_errors(matching, self.fps)
        self.errors_.append(errors)
        parts = {}
        for p in FRAME_COLUMNS:
            for unit, col in (("", f"{p}_error"), ("_ms", f"{p}_error_ms")):
                e = errors[col]
                parts[f"n{unit}_{p}"] = e.notna().astype(float)
                parts[f"abs{unit}_{p}"] = e.abs()
                parts[f"signed{unit}_{p}"] = e
        parts["n_apex_ref"] = errors["apex_in_ref"].notna().astype(float)
        parts["apex_in_ref"] = errors["apex_in_ref"]
        parts["n_apex_hyp"] = errors["apex_in_hyp"].notna().astype(float)
        parts["apex_in_hyp"] = errors["apex_in_hyp"]
        table = pd.DataFrame(parts).assign(clip=errors["clip"].to_numpy())
        per_clip = table.groupby("clip", sort=True).sum(min_count=0)
        return per_clip.reindex(pd.Index(matching.clips.astype(str), name="clip"), fill_value=0.0)

    def compute_metric(self, components: Mapping[str, float]) -> float:
        c = components
        return ratio(c["abs_onset"] + c["abs_offset"], c["n_onset"] + c["n_offset"])

    def derive(self, table: pd.DataFrame) -> pd.DataFrame:
        out = {"pairs": table["n_onset"]}
        for p in FRAME_COLUMNS:
            out[f"{p}_mae_frames"] = ratio(table[f"abs_{p}"], table[f"n_{p}"])
            out[f"{p}_bias_frames"] = ratio(table[f"signed_{p}"], table[f"n_{p}"])
            out[f"{p}_mae_ms"] = ratio(table[f"abs_ms_{p}"], table[f"n_ms_{p}"])
            out[f"{p}_bias_ms"] = ratio(table[f"signed_ms_{p}"], table[f"n_ms_{p}"])
        out["asr"] = ratio(table["apex_in_ref"], table["n_apex_ref"])
        out["asr_ref_in_hyp"] = ratio(table["apex_in_hyp"], table["n_apex_hyp"])
        return pd.DataFrame(out, index=table.index)

    def errors(self) -> pd.DataFrame:
        """Every matched pair's errors seen so far (see :func:`boundary_errors`)."""
        if not self.errors_:
            return pd.DataFrame(columns=ERROR_COLUMNS)
        return pd.concat(self.errors_, ignore_index=True)
