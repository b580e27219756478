"""Agreement between raters: matching, metrics, summary, report, review.

Heavy imports (plotly, scikit-learn, krippendorff) happen inside the functions
that need them.
"""

from workbench.agreement.curves import f1_by_iou, f1_by_tolerance
from workbench.agreement.labels import (
    AUAgreement,
    LabelAgreement,
    ModifiedKappa,
    agreement_ratio,
    au_matrix,
    reliability_table,
)
from workbench.agreement.match import MODES, Matching, match
from workbench.agreement.metrics import AgreementMetric, BoundaryError, SpottingF1, boundary_errors
from workbench.agreement.report import render_report, write_report
from workbench.agreement.review import REASONS, STANDS, TYPES, Review, disagreements, review_log_path
from workbench.agreement.statistics import (
    cohen_kappa,
    contingency,
    fleiss_kappa,
    kappa_ipf,
    krippendorff_alpha,
)
from workbench.agreement.summary import summary, summary_tables
from workbench.agreement.timeline import events_from_ascii

__all__ = [
    "MODES",
    "REASONS",
    "STANDS",
    "TYPES",
    "Review",
    "disagreements",
    "events_from_ascii",
    "render_report",
    "review_log_path",
    "summary_tables",
    "write_report",
    "AUAgreement",
    "AgreementMetric",
    "BoundaryError",
    "LabelAgreement",
    "Matching",
    "ModifiedKappa",
    "SpottingF1",
    "agreement_ratio",
    "au_matrix",
    "boundary_errors",
    "cohen_kappa",
    "contingency",
    "f1_by_iou",
    "f1_by_tolerance",
    "fleiss_kappa",
    "kappa_ipf",
    "krippendorff_alpha",
    "match",
    "reliability_table",
    "summary",
]
