"""Every agreement figure of two raters in one dict: what ``workbench agree --json`` prints."""

from __future__ import annotations

import math

import pandas as pd

from workbench.agreement.labels import AUAgreement, LabelAgreement, ModifiedKappa
from workbench.agreement.match import Matching, match
from workbench.agreement.metrics import BoundaryError, SpottingF1
from workbench.schema import FRAME_COLUMNS, KINDS


def clean(value: object) -> object:
    """Plain Python numbers; NaN becomes None (JSON null)."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _spotting(metric: SpottingF1) -> dict:
    row = metric.total()
    out = {c: int(row[c]) for c in ("tp", "fp", "fn")}
    out.update({c: float(row[c]) for c in ("precision", "recall", "f1")})
    return out


def _boundary(metric: BoundaryError) -> dict:
    row = metric.total()
    out = {
        p: {k: float(row[f"{p}_{k}"]) for k in ("mae_frames", "mae_ms", "bias_frames", "bias_ms")}
        for p in FRAME_COLUMNS
    }
    out.update(asr=float(row["asr"]), n_pairs=int(row["pairs"]))
    return out


def scores(
    reference: pd.DataFrame, hypothesis: pd.DataFrame, matching: Matching, fps: float | None
) -> dict[str, object]:
    """The metrics of :func:`summary` on a ready matching (see there)."""
    settings = {
        "iou": matching.iou,
        "mode": matching.mode,
        "tolerance": matching.tolerance,
        "fps": fps,
    }
    spotting = SpottingF1(**settings)
    spotting(matching=matching)
    by_kind = {}
    for kind in KINDS:
        metric = SpottingF1(**settings, kind=kind)
        metric(matching=matching)
        by_kind[kind] = _spotting(metric)
    boundary = BoundaryError(**settings)
    boundary(matching=matching)
    emotion = LabelAgreement(**settings)
    emotion(matching=matching)
    labels = emotion.total()
    elan = ModifiedKappa(**settings)
    elan(matching=matching)
    aus = AUAgreement(**settings)
    aus(matching=matching)
    return {
        **_spotting(spotting),
        "by_kind": by_kind,
        "boundary": _boundary(boundary),
        "emotion": {
            "cohen_kappa": labels["cohen_kappa"],
            "krippendorff_alpha": labels["krippendorff_alpha"],
            "n_pairs": int(labels["n_pairs"]),
            "agreement": labels["agreement"],
            "elan": elan.values(),
        },
        "au": {
            "agreement_ratio": abs(aus),
            "pooled": aus.total()["pooled"],
            "n_pairs": int(aus["n_pairs"]),
        },
    }


def summary(
    reference: pd.DataFrame,
    hypothesis: pd.DataFrame,
    iou: float = 0.5,
    mode: str = "one-to-one",
    tolerance: int | None = None,
    fps: float | None = None,
) -> dict[str, object]:
    """Match two raters once and compute every agreement figure.

    Returns
    -------
    dict
        JSON-ready (NaN as None): ``tp``, ``fp``, ``fn``, ``precision``,
        ``recall``, ``f1``; ``by_kind`` (``micro``, ``macro``: the same counts,
        each kind matched on its own); ``boundary`` (``onset``, ``apex``,
        ``offset``: ``mae_frames``, ``mae_ms``, ``bias_frames``, ``bias_ms``;
        ``asr``, ``n_pairs``); ``emotion`` (``cohen_kappa``,
        ``krippendorff_alpha``, ``n_pairs``, ``agreement``, ``elan``: ELAN's
        modified kappa); ``au`` (``agreement_ratio``, ``pooled``, ``n_pairs``);
        ``settings`` and the events counted (``n_reference``, ``n_hypothesis``).
    """
    matching = match(reference, hypothesis, iou=iou, mode=mode, tolerance=tolerance)
    out = scores(reference, hypothesis, matching, fps)
    out["settings"] = {"iou": iou, "mode": mode, "tolerance": tolerance, "fps": fps}
    out["n_reference"], out["n_hypothesis"] = len(reference), len(hypothesis)
    return clean(out)


def _shown(values: dict) -> pd.DataFrame:
    """A key-value table as text: counts as integers, scores with 3 decimals, '-' for none."""
    text = {k: "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)) for k, v in values.items()}
    return pd.DataFrame({"value": text})


def summary_tables(result: dict) -> dict[str, pd.DataFrame]:
    """A :func:`summary` dict as readable tables: spotting, boundaries, labels, AUs."""
    counts = ("tp", "fp", "fn", "precision", "recall", "f1")
    spotting = pd.DataFrame(
        [{k: result[k] for k in counts}, *(result["by_kind"][kind] for kind in KINDS)],
        index=pd.Index(["all", *KINDS], name="events"),
    )
    boundary = result["boundary"]
    bounds = pd.DataFrame([boundary[p] for p in FRAME_COLUMNS], index=pd.Index(FRAME_COLUMNS, name="phase"))
    emotion = result["emotion"]
    labels = {
        "pairs": emotion["n_pairs"],
        "agreement": emotion["agreement"],
        "Cohen's kappa": emotion["cohen_kappa"],
        "Krippendorff's alpha": emotion["krippendorff_alpha"],
        **{f"ELAN {k}": v for k, v in emotion["elan"].items()},
    }
    aus = result["au"]
    curves = _curve_tables(result.get("au_curves"))
    return {
        "Spotting": spotting,
        "Boundaries": bounds.assign(asr=[None, boundary["asr"], None]),
        "Emotion labels (matched pairs)": _shown(labels),
        "Action Units (matched pairs)": _shown(
            {
                "pairs with AUs": aus["n_pairs"],
                "agreement ratio (mean)": aus["agreement_ratio"],
                "agreement ratio (pooled)": aus["pooled"],
            }
        ),
        **curves,
    }


def _curve_tables(curves: dict | None) -> dict[str, pd.DataFrame]:
    """The ``au_curves`` key as tables: per AU between detectors, and detector against a person."""
    if not curves:
        return {}
    out = {}
    between = curves.get("between_detectors")
    if between and between["per_au"]:
        names = f"{curves['detectors']['reference']} and {curves['detectors']['hypothesis']}"
        table = pd.DataFrame.from_dict(between["per_au"], orient="index").rename_axis("AU")
        out[f"AU curves: {names} ({between['n_clips']} clips)"] = table
    human = curves.get("detector_vs_human")
    if human and human["per_au"]:
        table = pd.DataFrame.from_dict(human["per_au"], orient="index").rename_axis("AU")
        title = f"AU curves: {human['detector']} at {human['human']}'s apexes ({human['n_misses']} misses)"
        out[title] = table
    return out
