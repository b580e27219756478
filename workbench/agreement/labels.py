"""Agreement on what matched events say: emotion labels and AU codes.

:class:`LabelAgreement` scores the emotion of matched pairs (Cohen's kappa,
Krippendorff's alpha, confusion matrix); :class:`ModifiedKappa` is ELAN's kappa
that also counts unmatched events; :class:`AUAgreement` scores AU codes with the
Ekman-Friesen agreement ratio 2|A ∩ B| / (|A| + |B|) and per-AU kappa.
:func:`reliability_table` lines up any number of raters for
:func:`~workbench.agreement.statistics.krippendorff_alpha` and
:func:`~workbench.agreement.statistics.fleiss_kappa`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from workbench.agreement.match import Matching, match
from workbench.agreement.metrics import AgreementMetric, ratio
from workbench.agreement.statistics import (
    UNMATCHED,
    cohen_kappa,
    contingency,
    kappa_ipf,
    krippendorff_alpha,
)
from workbench.facs import au_numbers
from workbench.schema import EMOTIONS


def _labels(values: pd.Series | np.ndarray) -> np.ndarray:
    """Labels as objects, None where missing or empty."""
    arr = pd.Series(values, dtype=object).to_numpy(copy=True)
    arr[pd.isna(arr)] = None
    arr[arr == ""] = None
    return arr


def _per_clip(codes: np.ndarray, clips: np.ndarray, **sums: np.ndarray) -> pd.DataFrame:
    """Sums of per-pair values by clip code, one row per clip of the matching."""
    n = len(clips)
    table = {
        k: np.bincount(codes, weights=np.nan_to_num(np.asarray(v, dtype=float)), minlength=n) for k, v in sums.items()
    }
    return pd.DataFrame(table, index=pd.Index(clips, name="clip", dtype=object))


def _side(matching: Matching, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A column's values for each pair, reference and hypothesis (None where absent)."""
    out = []
    for frames, index in (
        (matching.reference, matching.ref_index),
        (matching.hypothesis, matching.hyp_index),
    ):
        if column in frames.table.columns:
            out.append(frames.column(column)[index])
        else:
            out.append(np.full(len(index), None, dtype=object))
    return out[0], out[1]


class _Samples:
    """Per-pair samples kept by a metric: appended as arrays, read as one DataFrame."""

    def __init__(self, columns: tuple[str, ...]):
        self.columns = columns
        self.parts: list[dict[str, np.ndarray]] = []
        self._memo: dict[str, object] = {}

    def append(self, **arrays: np.ndarray) -> None:
        self.parts.append(arrays)
        self._memo.clear()

    def memo(self, name: str, func):
        """``func()`` computed once until the next :meth:`append` (statistics over all samples)."""
        if name not in self._memo:
            self._memo[name] = func()
        return self._memo[name]

    def all(self) -> pd.DataFrame:
        """Every sample as one DataFrame (columns as arrays, no copies per clip)."""
        return pd.DataFrame({c: self.get(c) for c in self.columns})

    def get(self, name: str) -> np.ndarray:
        if not self.parts:
            return np.zeros(0, dtype=object)
        return np.concatenate([p[name] for p in self.parts])


def by_clip(samples: _Samples, index: pd.Index, func, name: str) -> pd.Series:
    """``func`` of each clip's samples, and of all samples for ``TOTAL``, along ``index``.

    The ``TOTAL`` value is memoised under ``name`` until new samples come.
    """
    values = {}
    if len(index) > 1 or "TOTAL" not in index:
        every = samples.all()
        wanted = every[every["clip"].isin(index)]
        values = {clip: func(group) for clip, group in wanted.groupby("clip", sort=False)}
    if "TOTAL" in index:
        values["TOTAL"] = samples.memo(name, lambda: func(samples.all()))
    return pd.Series([values.get(k, float("nan")) for k in index], index=index, dtype=object)


def _cohen(samples: pd.DataFrame) -> float:
    return cohen_kappa(samples["ref"].to_numpy(), samples["hyp"].to_numpy())


def _alpha(samples: pd.DataFrame) -> float:
    return krippendorff_alpha(samples[["ref", "hyp"]])


def _ipf(samples: pd.DataFrame) -> dict[str, float]:
    return kappa_ipf(samples["ref"].to_numpy(), samples["hyp"].to_numpy())


def _order(labels: Sequence) -> list[str]:
    """Schema emotions first (in schema order), then any other label, sorted."""
    present = {str(x) for x in labels if x is not None}
    return [e for e in EMOTIONS if e in present] + sorted(present - set(EMOTIONS))


class LabelAgreement(AgreementMetric):
    """Emotion labels of matched pairs: agreement, Cohen's kappa, Krippendorff's alpha.

    Pairs where either label is missing are left out. ``abs(metric)`` is
    Cohen's kappa over every pair seen so far (NaN when undefined).

    Parameters
    ----------
    column : str
        The label column (``emotion`` by default).
    """

    name = "cohen_kappa"
    components = ("n_pairs", "agreed")

    def __init__(self, *args, column: str = "emotion", **kwargs):
        self.column = column
        super().__init__(*args, **kwargs)

    def reset(self) -> None:
        super().reset()
        self.samples_ = _Samples(("clip", "ref", "hyp"))

    def compute_components(self, matching: Matching) -> pd.DataFrame:
        a, b = (_labels(x) for x in _side(matching, self.column))
        keep = pd.notna(a) & pd.notna(b)
        codes = matching.reference.clip[matching.ref_index][keep]
        self.samples_.append(clip=matching.clips[codes], ref=a[keep], hyp=b[keep])
        return _per_clip(codes, matching.clips, n_pairs=np.ones(len(codes)), agreed=a[keep] == b[keep])

    def samples(self) -> pd.DataFrame:
        """Every labelled pair seen so far: clip, ref, hyp."""
        return self.samples_.all()

    def compute_metric(self, components: Mapping[str, float]) -> float:
        return self.samples_.memo("cohen", lambda: _cohen(self.samples_.all()))

    def derive(self, table: pd.DataFrame) -> pd.DataFrame:
        s = self.samples_
        return table.assign(
            agreement=ratio(table["agreed"], table["n_pairs"]),
            cohen_kappa=by_clip(s, table.index, _cohen, "cohen").astype(float),
            krippendorff_alpha=by_clip(s, table.index, _alpha, "alpha").astype(float),
        )

    def krippendorff_alpha(self) -> float:
        """Nominal alpha over every labelled pair seen so far."""
        return self.samples_.memo("alpha", lambda: _alpha(self.samples_.all()))

    def confusion(self) -> pd.DataFrame:
        """Confusion matrix: reference labels as rows, hypothesis labels as columns."""
        a, b = self.samples_.get("ref"), self.samples_.get("hyp")
        return contingency(a, b, labels=_order(set(a) | set(b)))


class ModifiedKappa(LabelAgreement):
    """ELAN's modified Cohen's kappa (Holle & Rein, EasyDIAg), counting unmatched events.

    Matched pairs give their two labels; a miss gives ``(label, ∅)`` and a false
    alarm ``(∅, label)``. ``abs(metric)`` is ``kappa_ipf``;
    :meth:`values` also gives ``kappa_max``, the raw agreement and the same
    three excluding unmatched events.
    """

    name = "kappa_ipf"
    components = ("n_pairs", "agreed", "n_unmatched")

    def compute_components(self, matching: Matching) -> pd.DataFrame:
        per_clip = super().compute_components(matching)
        n_unmatched = np.zeros(len(matching.clips))
        for frames, index, side in (
            (matching.reference, matching.ref_index, "ref"),
            (matching.hypothesis, matching.hyp_index, "hyp"),
        ):
            alone = np.ones(len(frames), dtype=bool)
            alone[index] = False
            if self.column not in frames.table.columns:
                continue
            labels = _labels(frames.column(self.column))[alone]
            codes = frames.clip[alone][pd.notna(labels)]
            labels = labels[pd.notna(labels)]
            other = np.full(len(labels), UNMATCHED, dtype=object)
            pair = {"ref": labels, "hyp": other} if side == "ref" else {"ref": other, "hyp": labels}
            self.samples_.append(clip=matching.clips[codes], **pair)
            n_unmatched += np.bincount(codes, minlength=len(matching.clips))
        return per_clip.assign(n_unmatched=n_unmatched)

    def values(self) -> dict[str, float]:
        """``kappa_ipf``, ``kappa_max``, ``raw_agreement`` and their ``*_excl`` versions."""
        return self.samples_.memo("ipf", lambda: _ipf(self.samples_.all()))

    def compute_metric(self, components: Mapping[str, float]) -> float:
        return self.values()["kappa_ipf"]

    def derive(self, table: pd.DataFrame) -> pd.DataFrame:
        values = by_clip(self.samples_, table.index, _ipf, "ipf")
        rows = [v if isinstance(v, dict) else _ipf(pd.DataFrame({"ref": [], "hyp": []})) for v in values]
        return pd.concat([table, pd.DataFrame(rows, index=table.index)], axis=1)


def au_matrix(codes: Sequence[str] | np.ndarray, universe: Sequence[int] | None = None) -> pd.DataFrame:
    """One row per code, one bool column per AU number (:func:`workbench.facs.au_numbers`).

    Each distinct code is parsed once, so this stays fast on large tables.
    """
    index, uniques = pd.factorize(np.asarray(codes, dtype=object), use_na_sentinel=False)
    sets = [au_numbers(str(u).strip()) if isinstance(u, str) and u.strip() else set() for u in uniques]
    numbers = sorted(set().union(*sets)) if universe is None else list(universe)
    column = {n: k for k, n in enumerate(numbers)}
    table = np.zeros((len(uniques), len(numbers)), dtype=bool)
    for row, found in enumerate(sets):
        table[row, [column[n] for n in found if n in column]] = True
    return pd.DataFrame(table[index], columns=pd.Index(numbers, name="au"))


def _ratios(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """AU presence grids of both sides, 2|A ∩ B| and |A| + |B| per pair."""
    grid = au_matrix(np.concatenate([a, b])).to_numpy(dtype=bool)
    x, y = grid[: len(a)], grid[len(a) :]
    return x, y, 2.0 * (x & y).sum(axis=1), (x.sum(axis=1) + y.sum(axis=1)).astype(float)


def agreement_ratio(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Ekman-Friesen agreement ratio 2|A ∩ B| / (|A| + |B|) of each pair of AU codes.

    NaN where both codes are empty.

    Examples
    --------
    >>> agreement_ratio(["1+2+R12"], ["1+12+25"]).round(3).tolist()
    [0.667]
    """
    _, _, both, marked = _ratios(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
    return ratio(both, marked)


class AUAgreement(AgreementMetric):
    """AU codes of matched pairs: agreement ratio per pair, its mean, per-AU kappa.

    Pairs where neither code names an AU are left out. ``abs(metric)`` is the
    mean of the per-pair ratios; ``pooled`` (the report's column) is
    2 Σ|A ∩ B| / Σ(|A| + |B|) over all pairs.
    """

    name = "agreement_ratio"
    components = ("n_pairs", "ratio_sum", "both", "marked")

    def reset(self) -> None:
        super().reset()
        self.samples_ = _Samples(("clip", "ref_id", "hyp_id", "ref", "hyp", "ratio"))

    def compute_components(self, matching: Matching) -> pd.DataFrame:
        a, b = _side(matching, "aus")
        _, _, both, marked = _ratios(a, b)
        keep = marked > 0
        codes = matching.reference.clip[matching.ref_index][keep]
        self.samples_.append(
            clip=matching.clips[codes],
            ref_id=matching.reference.column("event_id")[matching.ref_index][keep],
            hyp_id=matching.hypothesis.column("event_id")[matching.hyp_index][keep],
            ref=a[keep],
            hyp=b[keep],
            ratio=both[keep] / marked[keep],
        )
        return _per_clip(
            codes,
            matching.clips,
            n_pairs=np.ones(len(codes)),
            ratio_sum=both[keep] / marked[keep],
            both=both[keep],
            marked=marked[keep],
        )

    def samples(self) -> pd.DataFrame:
        """Every pair with AUs seen so far: clip, ref_id, hyp_id, ref, hyp, ratio."""
        return self.samples_.all()

    def compute_metric(self, components: Mapping[str, float]) -> float:
        return ratio(components["ratio_sum"], components["n_pairs"])

    def derive(self, table: pd.DataFrame) -> pd.DataFrame:
        return table.assign(
            agreement_ratio=ratio(table["ratio_sum"], table["n_pairs"]),
            pooled=ratio(table["both"], table["marked"]),
        )

    def per_au(self) -> pd.DataFrame:
        """Per AU number: pairs marking it (ref, hyp, both) and Cohen's kappa of presence."""
        a, b = self.samples_.get("ref"), self.samples_.get("hyp")
        grid = au_matrix(np.concatenate([a, b]))
        x, y = grid.to_numpy(dtype=bool)[: len(a)], grid.to_numpy(dtype=bool)[len(a) :]
        rows = [
            {
                "au": n,
                "ref": int(x[:, k].sum()),
                "hyp": int(y[:, k].sum()),
                "both": int((x[:, k] & y[:, k]).sum()),
                "cohen_kappa": cohen_kappa(x[:, k], y[:, k]),
            }
            for k, n in enumerate(grid.columns)
        ]
        return pd.DataFrame(rows, columns=["au", "ref", "hyp", "both", "cohen_kappa"]).set_index("au")


def reliability_table(
    raters: Mapping[str, pd.DataFrame],
    column: str = "emotion",
    iou: float = 0.5,
    mode: str = "one-to-one",
    tolerance: int | None = None,
) -> pd.DataFrame:
    """Line up any number of raters' labels on common units.

    The first rater is the pivot: its events are the units, and every other
    rater's event matched to a unit gives that rater's label (missing where it
    matched none). Events of the other raters that match no pivot event are
    their own units, labelled by that rater only. Feed the result to
    :func:`~workbench.agreement.statistics.krippendorff_alpha` (missing values
    allowed) or :func:`~workbench.agreement.statistics.fleiss_kappa` (complete
    units only).

    Returns
    -------
    pandas.DataFrame
        Index ``(clip, unit)`` with the unit's pivot event id (or the other
        rater's id), one column per rater.
    """
    names = list(raters)
    if not names:
        return pd.DataFrame()
    pivot = raters[names[0]]
    units = pd.DataFrame(
        {
            "clip": pivot["clip"].astype(str),
            "unit": pivot["event_id"].astype(str),
            names[0]: _labels(pivot[column]),
        }
    ).set_index(["clip", "unit"])
    extras = []
    for name in names[1:]:
        m = match(pivot, raters[name], iou=iou, mode=mode, tolerance=tolerance)
        paired = m.paired((column,))
        found = pd.Series(
            _labels(paired[f"{column}_hyp"]),
            index=pd.MultiIndex.from_arrays([paired["clip"], paired["ref_id"]]),
        )
        units[name] = found.reindex(units.index).to_numpy()
        fas = m.false_alarms
        extra = pd.DataFrame(
            {
                "clip": fas["clip"].astype(str),
                "unit": fas["event_id"].astype(str),
                name: _labels(fas[column]),
            }
        )
        extras.append(extra.set_index(["clip", "unit"]))
    table = pd.concat([units, *extras]) if extras else units
    return table.reindex(columns=names).astype(object).where(table.notna(), None)
