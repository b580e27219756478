"""The disagreement queue of two raters: every disagreement as an item, worst first.

:func:`disagreements` matches the two raters' events and lists misses, false alarms,
boundaries off by more than k frames, label and AU mismatches, each with a severity,
a description in words and both raters' marks. Given a detector's curves, it also lists
each AU a person coded that the detector's curve missed at the person's apex ("the
detector's AU12 missed the coder's AU12", :func:`workbench.agreement.au_curves.misses`).
A :class:`workbench.agreement.review.Review` records the decisions on these items.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.agreement.au_curves import apex_scores, detector_vs_human, misses
from workbench.agreement.labels import agreement_ratio
from workbench.agreement.match import Matching, match, overlapping_pairs
from workbench.schema import CLUE_COLUMNS, FRAME_COLUMNS, is_detector

#: Kinds of disagreement, in the order of their severity bands (worst first).
TYPES: tuple[str, ...] = ("miss", "false_alarm", "label", "boundary", "au", "au_curve")
#: Each side's columns in the queue: its frames, label, and a detector's confidence and emotion
#: clue (empty for a person), so that the review shows a detector's label as the guess it is.
MARK_COLUMNS: tuple[str, ...] = (*FRAME_COLUMNS, "emotion", "aus", "confidence", *CLUE_COLUMNS)
#: Columns of the queue, in order.
ITEM_COLUMNS: tuple[str, ...] = (
    "item_id",
    "type",
    "clip",
    "ref_id",
    "hyp_id",
    "start",
    "end",
    "severity",
    "description",
    *(f"{side}_{c}" for side in ("ref", "hyp") for c in MARK_COLUMNS),
)


def rater_name(events: pd.DataFrame, default: str) -> str:
    """The rater of an events table: its one ``rater`` value, else ``default``."""
    names = events["rater"].dropna().astype(str).unique() if "rater" in events.columns else []
    return names[0] if len(names) == 1 else default


def _span(frames: list[float]) -> str:
    onset, apex, offset = frames
    return f"{int(onset)}-{int(offset)}" + ("" if np.isnan(apex) else f" (apex {int(apex)})")


def _best_iou(matching: Matching) -> tuple[np.ndarray, np.ndarray]:
    """Each event's best IoU with any event of the other rater (0 when none overlaps)."""
    ref, hyp = matching.reference, matching.hypothesis
    i, j, score = overlapping_pairs(ref, hyp)
    best_ref, best_hyp = np.zeros(len(ref)), np.zeros(len(hyp))
    np.maximum.at(best_ref, i, score)
    np.maximum.at(best_hyp, j, score)
    return best_ref, best_hyp


def _side_columns(frames, positions: np.ndarray, side: str) -> dict[str, np.ndarray]:
    out = {}
    for c in MARK_COLUMNS:
        if c in frames.table.columns:
            out[f"{side}_{c}"] = frames.column(c)[positions]
        else:
            out[f"{side}_{c}"] = np.full(len(positions), None, dtype=object)
    return out


def _unmatched_items(matching: Matching, names: tuple[str, str], iou: float) -> list[pd.DataFrame]:
    best = _best_iou(matching)
    out = []
    for k, (frames, index, kind) in enumerate(
        (
            (matching.reference, matching.ref_index, "miss"),
            (matching.hypothesis, matching.hyp_index, "false_alarm"),
        )
    ):
        alone = np.ones(len(frames), dtype=bool)
        alone[index] = False
        positions = np.flatnonzero(alone)
        side = "ref" if k == 0 else "hyp"
        ids = frames.column("event_id")[positions]
        cols = _side_columns(frames, positions, side)
        other = names[1 - k]
        description = [
            f"{names[k]} marked {_span([on, ap, off])}; {other} "
            + (f"has nothing reaching IoU {iou} (best {b:.2f})" if b > 0 else "marked nothing overlapping")
            for on, ap, off, b in zip(
                cols[f"{side}_onset"], cols[f"{side}_apex"], cols[f"{side}_offset"], best[k][positions], strict=True
            )
        ]
        out.append(
            pd.DataFrame(
                {
                    "type": kind,
                    "clip": matching.clips[frames.clip[positions]],
                    "ref_id": ids if side == "ref" else "",
                    "hyp_id": ids if side == "hyp" else "",
                    "severity": 3.0 + (1.0 - best[k][positions]),
                    "description": description,
                    **cols,
                }
            )
        )
    return out


def _pair_items(matching: Matching, names: tuple[str, str], tolerance: int, au_threshold: float) -> list[pd.DataFrame]:
    i, j = matching.ref_index, matching.hyp_index
    pairs = pd.DataFrame(
        {
            "clip": matching.clips[matching.reference.clip[i]],
            "ref_id": matching.reference.column("event_id")[i],
            "hyp_id": matching.hypothesis.column("event_id")[j],
            **_side_columns(matching.reference, i, "ref"),
            **_side_columns(matching.hypothesis, j, "hyp"),
        }
    )
    a, b = names
    errors = np.stack([pairs[f"hyp_{c}"].astype(float) - pairs[f"ref_{c}"].astype(float) for c in FRAME_COLUMNS])
    worst = np.nanmax(np.abs(errors), axis=0) if len(pairs) else np.zeros(0)
    boundary = pairs[worst > tolerance].assign(
        type="boundary",
        severity=1.0 + worst[worst > tolerance] / (worst[worst > tolerance] + tolerance + 1.0),
        description=[
            ", ".join(f"{c} {e:+.0f}" for c, e in zip(FRAME_COLUMNS, col, strict=True) if not np.isnan(e))
            + f" frames ({b} - {a})"
            for col in errors.T[worst > tolerance]
        ],
    )
    ea, eb = pairs["ref_emotion"], pairs["hyp_emotion"]
    differ = (ea.notna() & eb.notna() & (ea.astype(str) != eb.astype(str))).to_numpy()
    label = pairs[differ].assign(
        type="label",
        severity=2.5,
        description=[f"{x} ({a}) vs {y} ({b})" for x, y in zip(ea[differ], eb[differ], strict=True)],
    )
    ratio = agreement_ratio(pairs["ref_aus"].fillna("").to_numpy(), pairs["hyp_aus"].fillna("").to_numpy())
    low = ~np.isnan(ratio) & (ratio < au_threshold)
    au = pairs[low].assign(
        type="au",
        severity=0.5 + (1.0 - ratio[low]) / 2.0,
        description=[
            f"AUs {x or '-'} ({a}) vs {y or '-'} ({b}): agreement {r:.2f}"
            for x, y, r in zip(pairs["ref_aus"][low], pairs["hyp_aus"][low], ratio[low], strict=True)
        ],
    )
    return [boundary, label, au]


def _curve_items(reference: pd.DataFrame, hypothesis: pd.DataFrame, names: tuple[str, str], curves) -> list:
    """Coded AUs the detector's curve stayed under its best-F1 threshold for, at the coder's apex.

    Only when one rater is a detector (``detector:<name>``) and the other a person.
    """
    detector_side = [is_detector(n) for n in names]
    if not curves or detector_side[0] == detector_side[1]:
        return []
    side = "hyp" if detector_side[0] else "ref"  # the person's side
    person = reference if side == "ref" else hypothesis
    scores = apex_scores(curves, person)
    if scores.empty:
        return []
    missed = misses(scores, detector_vs_human(scores))
    if missed.empty:
        return []
    events = person.set_index("event_id")
    detector, coder = (names[1], names[0]) if side == "ref" else (names[0], names[1])
    marks = events.loc[missed["event_id"]]
    other = "hyp" if side == "ref" else "ref"
    ratio = (missed["score"] / missed["threshold"].where(missed["threshold"] > 0)).fillna(0).clip(0, 1).to_numpy()
    fields = (*FRAME_COLUMNS, "emotion", "aus")
    return [
        pd.DataFrame(
            {
                "type": "au_curve",
                "clip": missed["clip"].to_numpy(),
                f"{side}_id": missed["event_id"].to_numpy(),
                f"{other}_id": "",
                "severity": 0.9 - 0.4 * ratio,
                "description": [
                    f"the detector's {m.au} missed the coder's {m.au}: {detector} {m.score:.2f} at {coder}'s apex "
                    f"{m.apex}, under its threshold {m.threshold:.2f} (coded {events.loc[m.event_id, 'aus']})"
                    for m in missed.itertuples()
                ],
                "_au": missed["au"].to_numpy(),
                **{f"{side}_{c}": marks[c].to_numpy() for c in fields},
                **{f"{other}_{c}": np.full(len(missed), None, dtype=object) for c in fields},
            }
        )
    ]


def disagreements(
    reference: pd.DataFrame,
    hypothesis: pd.DataFrame,
    iou: float = 0.5,
    boundary_tolerance: int = 2,
    mode: str = "one-to-one",
    tolerance: int | None = None,
    au_threshold: float = 1.0,
    padding: int = 10,
    names: tuple[str, str] | None = None,
    matching: Matching | None = None,
    curves=None,
) -> pd.DataFrame:
    """Every disagreement of two raters, worst first.

    Parameters
    ----------
    reference, hypothesis : pandas.DataFrame
        Events tables of the two raters.
    iou, mode, tolerance
        How events are matched (see :func:`workbench.agreement.match.match`).
    boundary_tolerance : int
        A matched pair disagrees on boundaries when its onset, apex or offset
        differ by more than this many frames.
    au_threshold : float
        A matched pair disagrees on AUs when its agreement ratio is below this
        (1.0: any difference).
    padding : int
        Frames shown before and after the events (``start``, ``end``).
    names : tuple of str, optional
        The raters' names in descriptions (default: their ``rater`` column).
    matching : Matching, optional
        The two raters' matching when the caller has it (made with ``iou``, ``mode``, ``tolerance``).
    curves : mapping, optional
        Clip id -> the detector rater's AU curves: adds ``au_curve`` items, one per AU a person
        coded that the curve missed at the person's apex (:func:`_curve_items`).

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item_id`` (stable: ``type:ref_id:hyp_id``), ``type``
        (miss, false_alarm, label, boundary, au, au_curve; an au_curve item's id ends
        with ``:AUn``), ``clip``, ``ref_id``,
        ``hyp_id`` (empty when absent), ``start``, ``end`` (frames to show),
        ``severity`` (misses and false alarms 3-4, the less overlap the worse;
        labels 2.5; boundaries 1-2, the larger the error the worse; AUs
        0.5-1; AU-curve misses 0.5-0.9, the lower the curve the worse),
        ``description``, and both events' ``ref_*`` / ``hyp_*`` frames,
        emotion and AUs. Sorted by severity (descending), clip, start.
    """
    if matching is None:
        matching = match(reference, hypothesis, iou=iou, mode=mode, tolerance=tolerance)
    names = names or (rater_name(reference, "reference"), rater_name(hypothesis, "hypothesis"))
    parts = _unmatched_items(matching, names, iou) + _pair_items(matching, names, boundary_tolerance, au_threshold)
    parts += _curve_items(reference, hypothesis, names, curves)
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_COLUMNS})
    items = pd.concat(parts, ignore_index=True)
    items = items.reindex(columns=list(dict.fromkeys([*items.columns, *ITEM_COLUMNS])))
    frames = items[[f"{s}_{c}" for s in ("ref", "hyp") for c in ("onset", "offset")]].astype(float)
    items["start"] = np.maximum(np.nanmin(frames.to_numpy(), axis=1) - padding, 0).astype(np.int64)
    items["end"] = (np.nanmax(frames.to_numpy(), axis=1) + padding).astype(np.int64)
    items["item_id"] = items["type"] + ":" + items["ref_id"].astype(str) + ":" + items["hyp_id"].astype(str)
    if "_au" in items.columns:
        per_au = items["type"] == "au_curve"
        items.loc[per_au, "item_id"] = items.loc[per_au, "item_id"] + ":" + items.loc[per_au, "_au"].astype(str)
    items = items.sort_values(["severity", "clip", "start", "item_id"], ascending=[False, True, True, True])
    return items[list(ITEM_COLUMNS)].reset_index(drop=True)
