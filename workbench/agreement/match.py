"""Match two raters' events, clip by clip: the pairs, the misses and the false alarms.

Events are intervals of integer frames, both ends included, so ``[10, 20]`` and
``[20, 30]`` share one frame and IoU = |A ∩ B| / |A ∪ B| counts frames. Events
match only within the same clip. Four ways to say that two events are the same
(``mode``):

``one-to-one`` (the default)
    An optimal assignment: pairs need IoU >= ``iou``; among all one-to-one
    matchings the one with the most pairs wins, ties broken by the largest total
    IoU (:func:`scipy.optimize.linear_sum_assignment`).
``megc2020``
    The MEGC 2020 baseline's counting: a reference event is found (TP) when any
    hypothesis event reaches the threshold; FP = hypotheses - TP (clipped at 0,
    per clip). The pairs (for boundaries and labels) come from the one-to-one
    assignment, and a found reference it leaves out takes its best candidate,
    so one hypothesis event may be paired with several references.
``apex``
    One-to-one, pairs need apexes at most ``tolerance`` frames apart (an event
    without an apex uses its middle frame ``(onset + offset) // 2``).
``boundary``
    One-to-one, pairs need both onsets and both offsets at most ``tolerance``
    frames apart (used for F1 against a boundary tolerance).

Example
-------
::

    frame   0    5    10   15   20   25   30
    ref     |-----|        |---|          one-to-one at IoU 0.5:
    hyp      |-----|            |---|     TP 1, FN 1, FP 1

Finding the candidate pairs is vectorised (sorted windows per clip); the
assignment runs only on connected groups of competing pairs, which are small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from workbench.schema import FRAME_COLUMNS

MODES: tuple[str, ...] = ("one-to-one", "megc2020", "apex", "boundary")
REQUIRED: tuple[str, ...] = ("clip", "event_id", "onset", "offset")


@dataclass(frozen=True)
class Frames:
    """One rater's events in canonical order, as numpy arrays.

    Position ``k`` is the k-th event in the order clip, onset, offset, apex,
    event_id; ``rows[k]`` is its row in ``table`` (the table as given, index
    reset), so no table is copied or reordered.

    Attributes
    ----------
    table : pandas.DataFrame
        The events as given (index 0..n-1).
    rows : numpy.ndarray
        Row in ``table`` of each position.
    clip : numpy.ndarray
        Clip codes shared with the other rater (see :func:`prepare`).
    onset, offset, apex : numpy.ndarray
        int64 frames; ``apex`` falls back on the middle frame where it is NA.
    has_apex : numpy.ndarray
        bool, where the apex was given.
    """

    table: pd.DataFrame
    rows: np.ndarray
    clip: np.ndarray
    onset: np.ndarray
    offset: np.ndarray
    apex: np.ndarray
    has_apex: np.ndarray
    _columns: dict = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.onset)

    @property
    def length(self) -> np.ndarray:
        """Frames in each event (both ends included)."""
        return self.offset - self.onset + 1

    def column(self, name: str) -> np.ndarray:
        """A column's values in canonical order (object array; cached)."""
        if name not in self._columns:
            series = self.table[name]
            frames = name in FRAME_COLUMNS
            values = _float_frames(series) if frames else series.to_numpy(dtype=object, na_value=None)
            self._columns[name] = values[self.rows]
        return self._columns[name]

    def rows_at(self, positions: np.ndarray | slice) -> pd.DataFrame:
        """The table's rows at canonical positions (a bool mask or integer positions)."""
        return self.table.iloc[self.rows[positions]].reset_index(drop=True)

    def subset(self, keep: np.ndarray) -> Frames:
        """The events where ``keep`` (bool, canonical order) holds; still in canonical order."""
        return Frames(
            table=self.table,
            rows=self.rows[keep],
            clip=self.clip[keep],
            onset=self.onset[keep],
            offset=self.offset[keep],
            apex=self.apex[keep],
            has_apex=self.has_apex[keep],
        )


def _check_columns(df: pd.DataFrame, name: str) -> None:
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        got = ", ".join(map(repr, df.columns)) or "no columns"
        raise ValueError(
            f"Expected the columns {', '.join(REQUIRED)} in the {name} events, "
            f"but got {got} (missing: {', '.join(missing)})."
        )


def _float_frames(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)


def _frames(df: pd.DataFrame, codes: np.ndarray) -> Frames:
    """Sort one rater's events canonically and pull out their arrays."""
    df = df.reset_index(drop=True)
    onset = _float_frames(df["onset"]).astype(np.int64)
    offset = _float_frames(df["offset"]).astype(np.int64)
    apex_f = _float_frames(df["apex"]) if "apex" in df.columns else np.full(len(df), np.nan)
    has_apex = ~np.isnan(apex_f)
    apex_key = np.where(has_apex, apex_f, -1.0)
    order = np.lexsort((apex_key, offset, onset, codes))
    keys = np.stack([codes[order], onset[order], offset[order], apex_key[order]])
    if len(order) > 1 and (keys[:, 1:] == keys[:, :-1]).all(axis=0).any():
        ids = pd.factorize(df["event_id"].astype(str), sort=True)[0]
        order = np.lexsort((ids, apex_key, offset, onset, codes))
    apex = np.where(has_apex, np.nan_to_num(apex_f, nan=0.0), (onset + offset) // 2).astype(np.int64)
    return Frames(
        table=df,
        rows=order,
        clip=codes[order],
        onset=onset[order],
        offset=offset[order],
        apex=apex[order],
        has_apex=has_apex[order],
    )


def prepare(reference: pd.DataFrame, hypothesis: pd.DataFrame) -> tuple[Frames, Frames, np.ndarray]:
    """Both raters' events in canonical order, with shared clip codes.

    Returns
    -------
    ref, hyp : Frames
    clips : numpy.ndarray
        Clip names, sorted; ``clips[code]`` names a code.
    """
    _check_columns(reference, "reference")
    _check_columns(hypothesis, "hypothesis")
    both = pd.concat([reference["clip"], hypothesis["clip"]], ignore_index=True).astype(str)
    codes, clips = pd.factorize(both, sort=True)
    codes = codes.astype(np.int64)
    n = len(reference)
    names = np.asarray(clips, dtype=object)
    return _frames(reference, codes[:n]), _frames(hypothesis, codes[n:]), names


def window_pairs(
    ref_clip: np.ndarray, lo: np.ndarray, hi: np.ndarray, hyp_clip: np.ndarray, hyp_key: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j) with the same clip and ``lo[i] <= hyp_key[j] <= hi[i]``.

    One sort of the hypothesis keys and two binary searches per reference event,
    then the windows are expanded without a Python loop.
    """
    if len(ref_clip) == 0 or len(hyp_clip) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    base = min(lo.min(), hyp_key.min())
    span = max(hi.max(), hyp_key.max()) - base + 1
    comp = hyp_clip.astype(np.int64) * span + (hyp_key - base)
    order = np.argsort(comp, kind="stable")
    ordered = comp[order]
    start = np.searchsorted(ordered, ref_clip * span + (lo - base), side="left")
    stop = np.searchsorted(ordered, ref_clip * span + (hi - base), side="right")
    counts = np.maximum(stop - start, 0)
    i = np.repeat(np.arange(len(ref_clip)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    j = order[np.repeat(start, counts) + within]
    return i, j


def iou_of(ref: Frames, hyp: Frames, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Inclusive-frame IoU of the pairs (i, j); 0 where they do not overlap."""
    inter = np.minimum(ref.offset[i], hyp.offset[j]) - np.maximum(ref.onset[i], hyp.onset[j]) + 1
    inter = np.maximum(inter, 0)
    union = ref.length[i] + hyp.length[j] - inter
    return inter / union


def overlapping_pairs(ref: Frames, hyp: Frames) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs sharing at least one frame, with their IoU."""
    n_clips = int(max(ref.clip.max(initial=-1), hyp.clip.max(initial=-1))) + 1
    longest = np.zeros(n_clips, dtype=np.int64)
    np.maximum.at(longest, hyp.clip, hyp.length - 1)
    i, j = window_pairs(ref.clip, ref.onset - longest[ref.clip], ref.offset, hyp.clip, hyp.onset)
    keep = hyp.offset[j] >= ref.onset[i]
    i, j = i[keep], j[keep]
    return i, j, iou_of(ref, hyp, i, j)


def _candidates(
    ref: Frames, hyp: Frames, mode: str, iou: float, tolerance: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allowed pairs and a score in [0, 1] (higher is better) for the mode."""
    if mode in ("one-to-one", "megc2020"):
        i, j, score = overlapping_pairs(ref, hyp)
        keep = score >= iou - 1e-12
        return i[keep], j[keep], score[keep]
    k = int(tolerance)
    if mode == "apex":
        i, j = window_pairs(ref.clip, ref.apex - k, ref.apex + k, hyp.clip, hyp.apex)
        return i, j, 1.0 - np.abs(ref.apex[i] - hyp.apex[j]) / (k + 1)
    i, j = window_pairs(ref.clip, ref.onset - k, ref.onset + k, hyp.clip, hyp.onset)
    d_off = np.abs(ref.offset[i] - hyp.offset[j])
    keep = d_off <= k
    i, j = i[keep], j[keep]
    return i, j, 1.0 - (np.abs(ref.onset[i] - hyp.onset[j]) + d_off[keep]) / (2 * k + 2)


def _solve_group(r: np.ndarray, c: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Positions (into r, c) of the best matching of one connected group.

    ``r`` and ``c`` are the pairs' row and column in the group's own small
    matrix. Most pairs first, then the largest total score: weights
    ``C + score`` with ``C`` above any possible gain in score make the pair
    count dominate.
    """
    shape = (int(r.max()) + 1, int(c.max()) + 1)
    weight = np.zeros(shape)
    weight[r, c] = min(shape) + 1.0 + score
    which = np.full(shape, -1, dtype=np.int64)
    which[r, c] = np.arange(len(r))
    a, b = linear_sum_assignment(weight, maximize=True)
    chosen = which[a, b]
    return chosen[chosen >= 0]


def _local_index(nodes: np.ndarray, label: np.ndarray, size: int) -> np.ndarray:
    """For each node, its rank among the nodes of its group (label)."""
    nodes = np.unique(nodes)
    order = np.lexsort((nodes, label[nodes]))
    nodes, groups = nodes[order], label[nodes[order]]
    first = np.searchsorted(groups, groups, side="left")
    local = np.zeros(size, dtype=np.int64)
    local[nodes] = np.arange(len(nodes)) - first
    return local


def assign(i: np.ndarray, j: np.ndarray, score: np.ndarray, n_ref: int, n_hyp: int) -> np.ndarray:
    """Positions (into i, j) of an optimal one-to-one matching of the allowed pairs.

    Pairs whose two events have no other candidate are kept as they are; the
    rest are split into connected groups and each group is solved on its own
    small matrix with :func:`scipy.optimize.linear_sum_assignment`.
    """
    if len(i) == 0:
        return np.zeros(0, dtype=np.int64)
    alone = (np.bincount(i, minlength=n_ref)[i] == 1) & (np.bincount(j, minlength=n_hyp)[j] == 1)
    chosen = [np.flatnonzero(alone)]
    rest = np.flatnonzero(~alone)
    if len(rest):
        size = n_ref + n_hyp
        graph = coo_matrix((np.ones(len(rest)), (i[rest], n_ref + j[rest])), shape=(size, size))
        _, label = connected_components(graph, directed=False)
        row = _local_index(i[rest], label, size)[i]
        col = _local_index(n_ref + j[rest], label, size)[n_ref + j]
        group = label[i[rest]]
        order = np.argsort(group, kind="stable")
        rest, group = rest[order], group[order]
        for part in np.split(rest, np.flatnonzero(np.diff(group)) + 1):
            chosen.append(part[_solve_group(row[part], col[part], score[part])])
    return np.sort(np.concatenate(chosen))


def _megc(i: np.ndarray, j: np.ndarray, score: np.ndarray, n_ref: int, n_hyp: int) -> np.ndarray:
    """Positions (into i, j) pairing every found reference event with a hypothesis.

    The counting is MEGC's (a reference is found when any candidate exists);
    the pairs shown come from the one-to-one assignment first, and a found
    reference left out of it takes its best candidate (highest score, then the
    first in canonical order), which may be shared.
    """
    if len(i) == 0:
        return np.zeros(0, dtype=np.int64)
    chosen = assign(i, j, score, n_ref, n_hyp)
    left = np.ones(n_ref, dtype=bool)
    left[i[chosen]] = False
    rest = np.flatnonzero(left[i])
    order = rest[np.lexsort((j[rest], -score[rest], i[rest]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = i[order][1:] != i[order][:-1]
    return np.sort(np.concatenate([chosen, order[first]]))


@dataclass(frozen=True)
class Matching:
    """The result of :func:`match`.

    Attributes
    ----------
    reference, hypothesis : Frames
        Both raters' events in canonical order.
    clips : numpy.ndarray
        Clip names (sorted) of both raters.
    ref_index, hyp_index : numpy.ndarray
        Canonical positions of the paired events in ``reference`` / ``hypothesis``.
    mode, iou, tolerance
        How the events were matched.
    """

    reference: Frames
    hypothesis: Frames
    clips: np.ndarray
    ref_index: np.ndarray
    hyp_index: np.ndarray
    mode: str
    iou: float
    tolerance: int | None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def pairs(self) -> pd.DataFrame:
        """One row per pair: clip, ref_id, hyp_id, iou, apex_distance (frames)."""
        if "pairs" not in self._cache:
            ref, hyp, i, j = self.reference, self.hypothesis, self.ref_index, self.hyp_index
            self._cache["pairs"] = pd.DataFrame(
                {
                    "clip": self.clips[ref.clip[i]],
                    "ref_id": ref.column("event_id")[i],
                    "hyp_id": hyp.column("event_id")[j],
                    "iou": iou_of(ref, hyp, i, j),
                    "apex_distance": np.abs(ref.apex[i] - hyp.apex[j]),
                }
            )
        return self._cache["pairs"].copy()

    @property
    def misses(self) -> pd.DataFrame:
        """Reference events that no hypothesis event matched (canonical order)."""
        keep = np.ones(len(self.reference), dtype=bool)
        keep[self.ref_index] = False
        return self.reference.rows_at(keep)

    @property
    def false_alarms(self) -> pd.DataFrame:
        """Hypothesis events that match no reference event (canonical order)."""
        keep = np.ones(len(self.hypothesis), dtype=bool)
        keep[self.hyp_index] = False
        return self.hypothesis.rows_at(keep)

    def counts_by_clip(self) -> pd.DataFrame:
        """TP, FP, FN per clip (index ``clip``), in the mode's counting."""
        if "counts" not in self._cache:
            n = len(self.clips)
            n_ref = np.bincount(self.reference.clip, minlength=n)
            n_hyp = np.bincount(self.hypothesis.clip, minlength=n)
            found = np.unique(self.ref_index)
            tp = np.bincount(self.reference.clip[found], minlength=n)
            table = pd.DataFrame(
                {"tp": tp, "fp": np.maximum(n_hyp - tp, 0), "fn": n_ref - tp},
                index=pd.Index(self.clips, name="clip", dtype=object),
            )
            self._cache["counts"] = table
        return self._cache["counts"]

    @property
    def tp(self) -> int:
        return int(self.counts_by_clip()["tp"].sum())

    @property
    def fp(self) -> int:
        return int(self.counts_by_clip()["fp"].sum())

    @property
    def fn(self) -> int:
        return int(self.counts_by_clip()["fn"].sum())

    def paired(self, columns: tuple[str, ...] = ()) -> pd.DataFrame:
        """The pairs with ``<column>_ref`` and ``<column>_hyp`` for each asked column.

        Frames (``onset``, ``apex``, ``offset``) come as float with NaN for a
        missing apex; other columns as objects (None where missing). A column
        a rater's table lacks is left out.
        """
        out = self.pairs
        for side, frames, index in (
            ("ref", self.reference, self.ref_index),
            ("hyp", self.hypothesis, self.hyp_index),
        ):
            for col in columns:
                if col in frames.table.columns:
                    out[f"{col}_{side}"] = frames.column(col)[index]
        return out

    def subset(self, ref_keep: np.ndarray, hyp_keep: np.ndarray) -> Matching:
        """Match again, with the same settings, only the events kept (bool, canonical order)."""
        return _run(
            self.reference.subset(ref_keep),
            self.hypothesis.subset(hyp_keep),
            self.clips,
            self.mode,
            self.iou,
            self.tolerance,
        )


def _run(ref: Frames, hyp: Frames, clips: np.ndarray, mode: str, iou: float, tolerance: int | None) -> Matching:
    i, j, score = _candidates(ref, hyp, mode, float(iou), tolerance)
    solve = _megc if mode == "megc2020" else assign
    chosen = solve(i, j, score, len(ref), len(hyp))
    return Matching(
        reference=ref,
        hypothesis=hyp,
        clips=clips,
        ref_index=i[chosen],
        hyp_index=j[chosen],
        mode=mode,
        iou=float(iou),
        tolerance=None if tolerance is None else int(tolerance),
    )


def match(
    reference: pd.DataFrame,
    hypothesis: pd.DataFrame,
    iou: float = 0.5,
    mode: str = "one-to-one",
    tolerance: int | None = None,
) -> Matching:
    """Match the hypothesis' events to the reference's, clip by clip.

    Parameters
    ----------
    reference, hypothesis : pandas.DataFrame
        Events tables (at least ``clip``, ``event_id``, ``onset``, ``offset``;
        ``apex`` where known). Row order does not matter.
    iou : float
        Least IoU of a pair in ``one-to-one`` and ``megc2020``.
    mode : {"one-to-one", "megc2020", "apex", "boundary"}
        See the module's docstring.
    tolerance : int, optional
        Frames allowed between apexes (``apex``) or boundaries (``boundary``).

    Returns
    -------
    Matching

    Examples
    --------
    >>> from workbench.schema import events_from_records, make_event
    >>> ref = events_from_records([make_event("c", "a", 10, 20)])
    >>> hyp = events_from_records([make_event("c", "b", 12, 22)])
    >>> m = match(ref, hyp)
    >>> m.tp, m.fp, m.fn
    (1, 0, 0)
    """
    if mode not in MODES:
        raise ValueError(f"Expected mode among {', '.join(MODES)}, but got mode={mode!r}.")
    if mode in ("apex", "boundary") and (tolerance is None or int(tolerance) < 0):
        raise ValueError(f"Expected a tolerance >= 0 frames for mode={mode!r}, but got tolerance={tolerance!r}.")
    if not 0.0 < float(iou) <= 1.0:
        raise ValueError(f"Expected 0 < iou <= 1, but got iou={iou!r}.")
    ref, hyp, clips = prepare(reference, hypothesis)
    return _run(ref, hyp, clips, mode, iou, tolerance)
