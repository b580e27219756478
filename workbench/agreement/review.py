"""Reviewing disagreements between two raters and building a consensus (pure logic, no UI).

A :class:`Review` takes the disagreement queue of two raters
(:func:`workbench.agreement.disagreements.disagreements`: misses, false alarms,
boundaries off by more than k frames, label and AU mismatches, worst first) and records
a reviewer's decisions on its items in an append-only log (each decision can be
reverted, and a revert reverted). It builds the consensus rater from the decisions
with provenance columns, and exports the audit as CSV. The log is saved atomically
after every change when the review has a ``log_path``
(:mod:`workbench.agreement.decision_log`).

The queue's and the log's names (:func:`disagreements`, :data:`TYPES`,
:data:`ITEM_COLUMNS`, :data:`LOG_COLUMNS`, :func:`read_log`, :func:`write_log`,
:func:`review_log_path`) are importable from here as well.

Example
-------
::

    frame  0         1         2
           0123456789012345678901234
    ann    [==^=]     [====]
    det     [==^=]               [=]

>>> from workbench.agreement.timeline import events_from_ascii as draw
>>> ann, det = draw("[==^=]     [====]", rater="ann"), draw(" [==^=]               [=]", rater="det")
>>> review = Review(ann, det)
>>> review.items["type"].tolist()
['miss', 'false_alarm']
>>> _ = review.decide(review.items["item_id"][0], reason="true miss", stands="ref", reviewer="eve")
>>> review.consensus()[["onset", "offset", "source_rater", "decided_by"]].values.tolist()
[[0, 5, 'ann', ''], [11, 16, 'ann', 'eve']]
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.agreement.decision_log import LOG_COLUMNS, csv_bytes, read_log, review_log_path, write_log
from workbench.agreement.disagreements import ITEM_COLUMNS, TYPES, disagreements, rater_name
from workbench.agreement.match import Matching, match
from workbench.atomic import atomic_write_bytes
from workbench.schema import COLUMNS, FRAME_COLUMNS, coerce_events, make_event, validate_events

__all__ = [
    "FIELDS",
    "ITEM_COLUMNS",
    "LOG_COLUMNS",
    "PROVENANCE",
    "REASONS",
    "STANDS",
    "TYPES",
    "Review",
    "allowed_stands",
    "disagreements",
    "read_log",
    "review_log_path",
    "write_log",
]

#: Why two raters disagree, as the reviewer tags it.
REASONS: tuple[str, ...] = (
    "blink",
    "head motion",
    "lighting",
    "occlusion",
    "speech",
    "true miss",
    "label error",
    "other",
)
#: Which mark stands after a decision.
STANDS: tuple[str, ...] = ("ref", "hyp", "new", "neither")
#: Fields each kind of pair disagreement decides.
FIELDS: dict[str, tuple[str, ...]] = {
    "boundary": FRAME_COLUMNS,
    "label": ("emotion",),
    "au": ("aus",),
}
#: Provenance columns of the consensus events.
PROVENANCE: tuple[str, ...] = ("source_rater", "source_event_id", "decided_by", "decided_at", "decision_id")


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class _Unit:
    """One consensus candidate: a matched pair, a miss or a false alarm."""

    key: str
    clip: str
    ref_id: str
    hyp_id: str


class Review:
    """Decisions on the disagreements of two raters, and the consensus they build.

    Parameters
    ----------
    reference, hypothesis : pandas.DataFrame
        The two raters' events (validated tables, e.g. from the store).
    log_path : path, optional
        CSV file of the decision log: read when it exists, rewritten
        atomically (temporary file, fsync, rename) after every change.
    consensus_rater : str
        The ``rater`` of the consensus events.
    clock : callable, optional
        Returns the ISO time of a record (for tests); UTC now by default.
    **options
        Passed to :func:`disagreements` (``iou``, ``boundary_tolerance``, ...).
    """

    def __init__(
        self,
        reference: pd.DataFrame,
        hypothesis: pd.DataFrame,
        *,
        log_path: str | Path | None = None,
        consensus_rater: str = "consensus",
        clock: Callable[[], str] = _now,
        **options,
    ):
        self.reference = coerce_events(reference).reset_index(drop=True)
        self.hypothesis = coerce_events(hypothesis).reset_index(drop=True)
        self.names = (rater_name(self.reference, "reference"), rater_name(self.hypothesis, "hypothesis"))
        self.options = options
        self.matching = match(self.reference, self.hypothesis, **_match_options(options))
        self.items = disagreements(self.reference, self.hypothesis, names=self.names, matching=self.matching, **options)
        self.consensus_rater = consensus_rater
        self.clock = clock
        self.log_path = Path(log_path) if log_path is not None else None
        self._records: list[dict] = read_log(self.log_path) if self.log_path and self.log_path.exists() else []

    # -- recording -----------------------------------------------------------------------------

    def _item(self, item_id: str) -> pd.Series:
        found = self.items[self.items["item_id"] == item_id]
        if found.empty:
            raise KeyError(f"Expected an item of this review's queue, but got item_id={item_id!r}.")
        return found.iloc[0]

    def decide(
        self,
        item_id: str,
        *,
        reason: str,
        stands: str,
        reviewer: str,
        event: Mapping | None = None,
        note: str = "",
    ) -> str:
        """Record a decision on one item; returns its ``record_id``.

        Parameters
        ----------
        item_id : str
            From :attr:`items`.
        reason : str
            One of :data:`REASONS`.
        stands : {"ref", "hyp", "new", "neither"}
            Which mark stands. For a pair's boundary, label or AU item, ``ref``
            and ``hyp`` choose that field group only; ``new`` replaces the
            event with ``event``; ``neither`` drops it.
        reviewer : str
            Who decided.
        event : mapping, optional
            The new mark, with ``stands="new"`` only: ``onset``, ``offset``,
            optional ``apex``, ``emotion``, ``aus`` (fields left out keep the
            current consensus values).
        """
        item = self._item(item_id)
        self._check(item, reason, stands, reviewer, event)
        new = dict(event or {})
        record = {
            "action": "decision",
            "target": "",
            "item_id": item_id,
            "type": item["type"],
            "clip": item["clip"],
            "ref_id": item["ref_id"],
            "hyp_id": item["hyp_id"],
            "reason": reason,
            "stands": stands,
            **{f"new_{c}": new.get(c) for c in (*FRAME_COLUMNS, "emotion", "aus")},
            "reviewer": reviewer,
            "note": note,
        }
        return self._append(record)

    def _check(self, item: pd.Series, reason: str, stands: str, reviewer: str, event: Mapping | None) -> None:
        where = f"(item {item['item_id']})"
        if reason not in REASONS:
            raise ValueError(f"Expected reason among {', '.join(REASONS)}, but got reason={reason!r} {where}.")
        allowed = allowed_stands(item["type"], "ref" if item["ref_id"] else "hyp")
        if stands not in allowed:
            raise ValueError(f"Expected stands among {', '.join(allowed)}, but got stands={stands!r} {where}.")
        if not str(reviewer).strip():
            raise ValueError(f"Expected a reviewer id, but got reviewer={reviewer!r} {where}.")
        if (stands == "new") != (event is not None):
            got = "no event" if event is None else f"event={dict(event)!r}"
            raise ValueError(f"Expected an event exactly when stands='new', but got stands={stands!r}, {got} {where}.")
        if event is not None:
            row = make_event(item["clip"], "review", event.get("onset"), event.get("offset"), apex=event.get("apex"))
            row.update({k: v for k, v in event.items() if k in ("emotion", "aus")})
            validate_events(pd.DataFrame([row]), source=f"new event for {item['item_id']}")

    def revert(self, record_id: str, *, reviewer: str, note: str = "") -> str:
        """Revert a decision (or a revert); returns the new record's id. Nothing is erased."""
        target = next((r for r in self._records if r["record_id"] == record_id), None)
        if target is None:
            raise KeyError(f"Expected a record of this review's log, but got record_id={record_id!r}.")
        record = {c: target.get(c, "") for c in ("item_id", "type", "clip", "ref_id", "hyp_id")}
        record.update(action="revert", target=record_id, reviewer=reviewer, note=note)
        return self._append(record)

    def undo(self, reviewer: str) -> str | None:
        """Revert the latest decision still in effect; None when no decision is in effect.

        Undo never reverts a revert (that would undo forever); to bring a
        reverted decision back, :meth:`revert` the revert.
        """
        active = self._active()
        for record in reversed(self._records):
            if record["action"] == "decision" and active[record["record_id"]]:
                return self.revert(record["record_id"], reviewer=reviewer, note="undo")
        return None

    def _append(self, record: dict) -> str:
        record = {c: record.get(c, "") for c in LOG_COLUMNS} | {"record_id": uuid.uuid4().hex, "at": self.clock()}
        self._records.append({k: ("" if v is None else str(v)) for k, v in record.items()})
        if self.log_path is not None:
            write_log(self.log_path, self._records)
        return record["record_id"]

    # -- reading -------------------------------------------------------------------------------

    def _active(self) -> dict[str, bool]:
        """Whether each record is in effect: no record in effect reverts it."""
        active: dict[str, bool] = {}
        for record in reversed(self._records):
            rid = record["record_id"]
            active.setdefault(rid, True)
            if record["action"] == "revert" and active[rid]:
                active[record["target"]] = False
        return active

    @property
    def log(self) -> pd.DataFrame:
        """Every record, in order, with ``active`` (still in effect)."""
        active = self._active()
        table = pd.DataFrame(self._records, columns=list(LOG_COLUMNS))
        return table.assign(active=[active[r] for r in table["record_id"]])

    def decisions(self) -> pd.DataFrame:
        """The decisions in effect, the latest per item, in the order they were taken."""
        log = self.log
        live = log[(log["action"] == "decision") & log["active"]]
        return live.drop_duplicates("item_id", keep="last").reset_index(drop=True)

    def queue(self) -> pd.DataFrame:
        """:attr:`items` with the decision in effect on each (``stands``, ``reason``, ``decided_by``)."""
        decided = self.decisions().set_index("item_id")
        out = self.items.copy()
        for col, src in (("stands", "stands"), ("reason", "reason"), ("decided_by", "reviewer")):
            out[col] = out["item_id"].map(decided[src]).astype(object).fillna("")  # object: '' is no float
        out["decided"] = out["stands"] != ""
        return out

    def audit(self) -> pd.DataFrame:
        """The log (tags and decisions, reverts included) with each item's description."""
        described = self.items.set_index("item_id")["description"]
        log = self.log
        return log.assign(description=log["item_id"].map(described).fillna(""))

    def export_audit(self, path: str | Path) -> Path:
        """Write :meth:`audit` as CSV (atomically) and return the path."""
        path = Path(path)
        atomic_write_bytes(path, csv_bytes(self.audit()))
        return path

    # -- consensus -----------------------------------------------------------------------------

    def consensus(self, pending: str = "reference") -> pd.DataFrame:
        """The consensus events, with provenance.

        Matched pairs without disagreement keep the reference's mark. Decided
        items apply in the order they were taken. Undecided items follow
        ``pending``: ``"reference"`` keeps the reference's mark (pairs and
        misses) and leaves false alarms out; ``"drop"`` leaves out every unit
        with an undecided item.

        Returns
        -------
        pandas.DataFrame
            Events of rater :attr:`consensus_rater` with the extra columns
            ``source_rater`` (whose mark; ``a+b`` when fields come from both,
            the reviewer for a new mark), ``source_event_id``, ``decided_by``,
            ``decided_at``, ``decision_id`` (empty where nothing was decided)
            and ``note`` (the reasons given).
        """
        if pending not in ("reference", "drop"):
            raise ValueError(f"Expected pending 'reference' or 'drop', but got pending={pending!r}.")
        matching = self.matching
        decisions = self.decisions()
        by_unit: dict[str, list[pd.Series]] = {}
        for _, d in decisions.iterrows():
            by_unit.setdefault(_unit_key(d["type"], d["ref_id"], d["hyp_id"]), []).append(d)
        undecided = set(self.items["item_id"]) - set(decisions["item_id"])
        open_units = {
            _unit_key(t, r, h)
            for t, r, h in self.items[self.items["item_id"].isin(undecided)][["type", "ref_id", "hyp_id"]].itertuples(
                index=False
            )
        }
        rows = []
        for unit, ref_row, hyp_row in self._units(matching):
            if unit.key in open_units and pending == "drop":
                continue
            row = self._resolve(unit, ref_row, hyp_row, by_unit.get(unit.key, []))
            if row is not None:
                rows.append(row)
        return self._table(rows)

    def _units(self, matching: Matching):
        ref = self.reference.set_index("event_id", drop=False)
        hyp = self.hypothesis.set_index("event_id", drop=False)
        pairs = matching.pairs
        for clip, r, h in pairs[["clip", "ref_id", "hyp_id"]].itertuples(index=False):
            yield _Unit(_unit_key("pair", r, h), clip, r, h), ref.loc[r], hyp.loc[h]
        for row in matching.misses.itertuples(index=False):
            yield _Unit(_unit_key("miss", row.event_id, ""), row.clip, row.event_id, ""), ref.loc[row.event_id], None
        for row in matching.false_alarms.itertuples(index=False):
            yield (
                _Unit(_unit_key("false_alarm", "", row.event_id), row.clip, "", row.event_id),
                None,
                hyp.loc[row.event_id],
            )

    def _resolve(self, unit: _Unit, ref_row, hyp_row, decisions: list[pd.Series]) -> dict | None:
        """Apply a unit's decisions in order to its starting mark."""
        base = ref_row if ref_row is not None else None
        current = dict(base) if base is not None else None
        sources = {c: self.names[0] for c in ("frames", "emotion", "aus")} if base is not None else {}
        provenance = {"decided_by": "", "decided_at": "", "decision_id": "", "note": []}
        for d in decisions:
            provenance.update(decided_by=d["reviewer"], decided_at=d["at"], decision_id=d["record_id"])
            provenance["note"].append(d["reason"])
            if d["stands"] == "neither":
                current = None
                continue
            if d["stands"] == "new":
                current = dict(current if current is not None else (hyp_row if ref_row is None else ref_row))
                current.update(_new_event(d))
                sources = dict.fromkeys(("frames", "emotion", "aus"), d["reviewer"])
                continue
            side_row, side_name = (ref_row, self.names[0]) if d["stands"] == "ref" else (hyp_row, self.names[1])
            fields = FIELDS.get(d["type"], (*FRAME_COLUMNS, "emotion", "aus"))
            if current is None or d["type"] in ("miss", "false_alarm"):
                current = dict(side_row)
                sources = dict.fromkeys(("frames", "emotion", "aus"), side_name)
            else:
                current.update({c: side_row[c] for c in fields})
                sources.update({("frames" if c in FRAME_COLUMNS else c): side_name for c in fields})
        if current is None:
            return None
        ids = {self.names[0]: unit.ref_id, self.names[1]: unit.hyp_id}
        whose = list(dict.fromkeys(sources.values()))
        current.update(
            source_rater="+".join(whose),
            source_event_id="+".join(ids[w] for w in whose if ids.get(w)),
            decided_by=provenance["decided_by"],
            decided_at=provenance["decided_at"],
            decision_id=provenance["decision_id"],
            note="; ".join(dict.fromkeys(provenance["note"])),
            event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"workbench-consensus:{unit.key}").hex,
            rater=self.consensus_rater,
            confidence=None,
        )
        return current

    def _table(self, rows: list[dict]) -> pd.DataFrame:
        keep = [*COLUMNS, *PROVENANCE]
        if not rows:
            empty = pd.DataFrame({c: pd.Series(dtype=object) for c in keep})
            return coerce_events(empty)
        table = pd.DataFrame(rows)[keep]
        return (
            validate_events(table, source="consensus").sort_values(["clip", "onset", "offset"]).reset_index(drop=True)
        )

    def write_consensus(self, store, dataset: str, pending: str = "reference", author: str | None = None) -> None:
        """Save :meth:`consensus` in the store as rater :attr:`consensus_rater` (one undoable write)."""
        store.write(dataset, self.consensus_rater, self.consensus(pending=pending), author=author)


def allowed_stands(kind: str, side: str = "ref") -> tuple[str, ...]:
    """The decisions an item of type ``kind`` allows. A miss keeps the reference (or a new mark,
    or neither), a false alarm the hypothesis; an ``au_curve`` item is a finding about the
    detector's curve: the person's mark (on ``side``) stands, and the reason tag says why the
    curve missed (it changes no consensus event)."""
    return {
        "miss": ("ref", "new", "neither"),
        "false_alarm": ("hyp", "new", "neither"),
        "au_curve": (side,),
    }.get(kind, STANDS)


def _unit_key(kind: str, ref_id: str, hyp_id: str) -> str:
    unit = kind if kind in ("miss", "false_alarm") else "pair"
    return f"{unit}:{ref_id}:{hyp_id}"


def _match_options(options: Mapping) -> dict:
    return {k: options[k] for k in ("iou", "mode", "tolerance") if k in options}


def _new_event(d: pd.Series) -> dict:
    out = {}
    for c in (*FRAME_COLUMNS, "emotion", "aus"):
        value = d[f"new_{c}"]
        if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
            if c == "apex":
                out[c] = None
            continue
        out[c] = int(float(value)) if c in FRAME_COLUMNS else value
    return out
