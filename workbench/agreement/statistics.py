"""Agreement statistics on labels: Cohen's kappa, Krippendorff's alpha, Fleiss' kappa.

Thin wrappers over the libraries that compute them (scikit-learn, ``krippendorff``)
that agree on one convention: a statistic that is undefined (one category only,
no data) is NaN, never an exception or a warning. Fleiss' kappa and ELAN's
``kappa_ipf`` have no well-kept library here and are written out in numpy.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: The pseudo-label of an event the other rater did not mark (ELAN's "unmatched").
UNMATCHED = "∅"


def _codes(*columns: Sequence) -> tuple[list[np.ndarray], np.ndarray]:
    """Integer codes (NaN for missing) over the union of the columns' labels."""
    stacked = pd.concat([pd.Series(np.asarray(c, dtype=object)) for c in columns], ignore_index=True)
    codes, uniques = pd.factorize(stacked, sort=True, use_na_sentinel=True)
    out, start = [], 0
    for c in columns:
        part = codes[start : start + len(c)].astype(float)
        part[part < 0] = np.nan
        out.append(part)
        start += len(c)
    return out, np.asarray(uniques, dtype=object)


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's kappa of two raters' labels (:func:`sklearn.metrics.cohen_kappa_score`).

    Pairs with a missing label are left out. NaN when fewer than one pair
    remains or when both raters use one and the same single label (kappa is
    then 0 / 0).

    Examples
    --------
    >>> cohen_kappa(["a", "a", "b", "b"], ["a", "a", "b", "a"])
    0.5
    """
    from sklearn.metrics import cohen_kappa_score

    (x, y), _ = _codes(a, b)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) == 0 or len(np.unique(np.concatenate([x, y]))) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(cohen_kappa_score(x, y))


def krippendorff_alpha(units_by_rater: pd.DataFrame | np.ndarray) -> float:
    """Krippendorff's alpha, nominal, any number of raters, missing values allowed.

    Computed by :func:`krippendorff.alpha` on the labels' integer codes.

    Parameters
    ----------
    units_by_rater
        One row per unit, one column per rater (the transpose of the
        ``krippendorff`` package's ``reliability_data``). Missing labels are
        None or NaN.

    Returns
    -------
    float
        NaN when no unit has two labels or only one value occurs.

    Examples
    --------
    >>> t = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["x", "x", "y", None]})
    >>> krippendorff_alpha(t)
    1.0
    """
    import krippendorff

    table = pd.DataFrame(units_by_rater)
    columns = [table[c].to_numpy(dtype=object) for c in table.columns]
    codes, _ = _codes(*columns)
    data = np.vstack(codes) if codes else np.zeros((0, 0))
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2] if data.size else data
    if pairable.size == 0 or len(np.unique(pairable[~np.isnan(pairable)])) < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=pairable, level_of_measurement="nominal"))


def fleiss_kappa(units_by_rater: pd.DataFrame) -> float:
    """Fleiss' kappa of units rated by the same number of raters.

    Units with a missing label are left out (Fleiss' kappa needs every unit
    rated by all raters; see :func:`krippendorff_alpha` for missing values).

    Parameters
    ----------
    units_by_rater : pandas.DataFrame
        One row per unit, one column per rater, labels as values.

    Examples
    --------
    >>> t = pd.DataFrame({"a": ["x", "x", "y"], "b": ["x", "x", "y"], "c": ["x", "y", "y"]})
    >>> round(fleiss_kappa(t), 4)
    0.55
    """
    table = units_by_rater.dropna(axis=0, how="any")
    if table.shape[0] == 0 or table.shape[1] < 2:
        return float("nan")
    codes, cats = _codes(*[table[c].to_numpy(dtype=object) for c in table.columns])
    data = np.vstack(codes).T.astype(np.int64)
    n_units, n_raters = data.shape
    counts = np.zeros((n_units, len(cats)))
    np.add.at(counts, (np.repeat(np.arange(n_units), n_raters), data.ravel()), 1)
    p_cat = counts.sum(axis=0) / (n_units * n_raters)
    p_unit = ((counts**2).sum(axis=1) - n_raters) / (n_raters * (n_raters - 1))
    p_bar, p_e = p_unit.mean(), (p_cat**2).sum()
    if np.isclose(p_e, 1.0):
        return float("nan")
    return float((p_bar - p_e) / (1.0 - p_e))


def contingency(a: Sequence, b: Sequence, labels: Sequence | None = None) -> pd.DataFrame:
    """Confusion matrix of two raters' labels.

    Rows are the first rater (reference), columns the second; ``labels`` fixes
    the order (by default the union of labels, sorted). Pairs with a missing
    label, or a label outside ``labels``, are left out. Counted with
    :func:`numpy.bincount` (the tests check it against
    :func:`sklearn.metrics.confusion_matrix`, which warns on one label).
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    keep = pd.notna(a) & pd.notna(b)
    codes, uniques = pd.factorize(np.concatenate([a[keep], b[keep]]))
    names = [str(u) for u in uniques]
    if labels is None:
        labels = sorted(set(names))
    labels = [str(x) for x in labels]
    n = len(labels)
    where = pd.Index(labels).get_indexer(names) if names else np.zeros(0, dtype=np.int64)
    x, y = where[codes[: int(keep.sum())]], where[codes[int(keep.sum()) :]]
    known = (x >= 0) & (y >= 0)
    matrix = np.bincount(x[known] * n + y[known], minlength=n * n).reshape(n, n)
    return pd.DataFrame(
        matrix,
        index=pd.Index(labels, name="reference"),
        columns=pd.Index(labels, name="hypothesis"),
    )


def _ipf_expected(table: np.ndarray, zero: tuple[int, int], iterations: int = 200) -> np.ndarray:
    """Counts expected under quasi-independence with one structural zero (IPF)."""
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    fit = np.ones_like(table, dtype=float)
    fit[zero] = 0.0
    for _ in range(iterations):
        r = fit.sum(axis=1)
        fit *= np.divide(rows, r, out=np.zeros_like(r), where=r > 0)[:, None]
        c = fit.sum(axis=0)
        fit *= np.divide(cols, c, out=np.zeros_like(c), where=c > 0)[None, :]
    return fit


def kappa_ipf(a: Sequence, b: Sequence) -> dict[str, float]:
    """ELAN's modified Cohen's kappa (Holle & Rein, EasyDIAg) with unmatched events.

    Label pairs include :data:`UNMATCHED` where one rater marked nothing (a miss
    gives ``(label, UNMATCHED)``, a false alarm ``(UNMATCHED, label)``). The
    ``(UNMATCHED, UNMATCHED)`` cell cannot occur, so the chance agreement comes
    from iterative proportional fitting of the table with that structural zero.

    Returns
    -------
    dict
        ``kappa_ipf``, ``kappa_max`` (the largest kappa the margins allow),
        ``raw_agreement``, and the same three excluding unmatched events
        (``kappa_excl``, ``kappa_max_excl``, ``raw_agreement_excl``).
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    labels = sorted((set(a) | set(b)) - {UNMATCHED}) + [UNMATCHED]
    out = _kappa_table(contingency(a, b, labels=labels).to_numpy(dtype=float), ipf=True)
    linked = (a != UNMATCHED) & (b != UNMATCHED)
    inner = contingency(a[linked], b[linked], labels=labels[:-1]).to_numpy(dtype=float)
    excl = _kappa_table(inner, ipf=False)
    out.update({f"{k}_excl" if k != "kappa_ipf" else "kappa_excl": v for k, v in excl.items()})
    return out


def _kappa_table(table: np.ndarray, ipf: bool) -> dict[str, float]:
    n = table.sum()
    if n == 0:
        return {"kappa_ipf": float("nan"), "kappa_max": float("nan"), "raw_agreement": float("nan")}
    if ipf:
        expected = _ipf_expected(table, (len(table) - 1, len(table) - 1))
    else:
        expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    p_o = np.trace(table) / n
    p_e = np.trace(expected) / n
    p_max = np.minimum(table.sum(axis=1), table.sum(axis=0))
    if ipf:
        p_max = p_max[:-1]
    p_max = p_max.sum() / n
    undefined = np.isclose(p_e, 1.0)
    kappa = float("nan") if undefined else float((p_o - p_e) / (1 - p_e))
    kappa_max = float("nan") if undefined else float((p_max - p_e) / (1 - p_e))
    return {"kappa_ipf": kappa, "kappa_max": kappa_max, "raw_agreement": float(p_o)}
