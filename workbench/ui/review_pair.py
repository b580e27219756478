"""What to review: the reviewer, the dataset, the pair of raters, and how they are matched.

::

    reviewer [alice]  dataset [sample]  reference [truth]  hypothesis [detector:mediapipe]  k [2]  IoU [0.5]

:func:`default_pair` picks the raters to compare first; :class:`PairBar` holds the row of
controls. The panel (:class:`workbench.ui.review.ReviewPanel`) reads the store and wires them.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as W

from workbench.ui.review_style import WIDE

#: The rater the consensus is written as.
CONSENSUS = "consensus"


def default_pair(raters: list[str], ref: str | None = None, hyp: str | None = None) -> tuple[str | None, str | None]:
    """The raters to compare first: ``truth`` against ``detector:mediapipe``, else any other one.

    Examples
    --------
    >>> default_pair(["alice", "detector:mediapipe", "truth"])
    ('truth', 'detector:mediapipe')
    >>> default_pair(["alice", "consensus", "truth"])
    ('truth', 'alice')
    """
    for name, given in (("reference", ref), ("hypothesis", hyp)):
        if given is not None and given not in raters:
            raise ValueError(f"Expected a {name} rater among {', '.join(raters) or 'none'}, but got {given!r}.")
    others = [r for r in raters if r != CONSENSUS] or list(raters)
    if ref is None:
        ref = "truth" if "truth" in raters else (others[0] if others else None)
    if hyp is None:
        rest = [r for r in others if r != ref]
        hyp = "detector:mediapipe" if "detector:mediapipe" in rest else (rest[0] if rest else None)
    return ref, hyp


class PairBar(W.HBox):
    """The row of controls above the queue: reviewer, dataset, reference, hypothesis, k, IoU.

    Parameters
    ----------
    tolerance : int
        Initial k (frames a boundary may be off).
    iou : float
        Initial least IoU of a match.

    Attributes
    ----------
    reviewer_box : ipywidgets.Text
        The reviewer's id.
    dataset_pick, ref_pick, hyp_pick : ipywidgets.Dropdown
        The dataset and the two raters.
    k_box : ipywidgets.BoundedIntText
        k.
    iou_box : ipywidgets.BoundedFloatText
        IoU.
    """

    def __init__(self, tolerance: int = 2, iou: float = 0.5) -> None:
        self.reviewer_box = W.Text(
            placeholder="your reviewer id, e.g. alice",
            description="reviewer",
            continuous_update=False,
            layout=W.Layout(width="250px"),
            style=WIDE,
        )
        self.dataset_pick = W.Dropdown(description="dataset", layout=W.Layout(width="170px"), style=WIDE)
        self.ref_pick = W.Dropdown(description="reference", layout=W.Layout(width="240px"), style=WIDE)
        self.hyp_pick = W.Dropdown(description="hypothesis", layout=W.Layout(width="290px"), style=WIDE)
        self.k_box = W.BoundedIntText(
            int(tolerance), min=0, max=10_000, description="k frames", layout=W.Layout(width="130px"), style=WIDE
        )
        self.iou_box = W.BoundedFloatText(
            float(iou), min=0.01, max=1.0, step=0.05, description="IoU", layout=W.Layout(width="110px"), style=WIDE
        )
        super().__init__(
            [self.reviewer_box, self.dataset_pick, self.ref_pick, self.hyp_pick, self.k_box, self.iou_box],
            layout=W.Layout(grid_gap="6px", flex_flow="row wrap"),
        )

    def show_raters(self, raters: Sequence[str], ref: str | None, hyp: str | None) -> None:
        """Offer ``raters`` in both pickers and choose ``ref`` and ``hyp``."""
        self.ref_pick.options = raters
        self.hyp_pick.options = raters
        self.ref_pick.value, self.hyp_pick.value = ref, hyp
