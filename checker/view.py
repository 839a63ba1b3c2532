"""What the reports show of a planned claim, in plain data.

The reports need little of a plan: the validated claim file, its measurement
(the result cache's key hashes its source), the prediction typeset as
MathML, and how the paper's LaTeX compared with it. Planning needs SymPy,
and importing and planning cost a re-run served from the result cache over a
second. A `ClaimView` holds only those four things, so it can be kept beside the
lint cache. An unchanged library then re-reports from it without SymPy or
JAX; `checker.latex.claim_view` makes one from a plan.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from checker.measure.registry import Measurement
from checker.spec import Claim, ClaimFile

__all__ = ["ClaimView", "LatexCheck"]


@dataclasses.dataclass(frozen=True)
class LatexCheck:
    """What comparing the printed formula with expr found (cached as JSON)."""

    outcome: str  # "equal", "not compared", "differs" or "invalid"
    message: str  # one line, as reports print it
    parsed: str = ""  # what the LaTeX parsed to, symbols bound
    mathml: str = ""  # SymPy's presentation MathML of the parse
    hint: str = ""
    field: tuple[str | int, ...] = ("latex",)  # where in the file a lint error points

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "field": list(self.field)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LatexCheck:
        """TypeError for anything `to_dict` cannot have written: the dict comes from a
        cache entry, and a damaged one must be a miss, not a crash in a report."""
        names = {f.name for f in dataclasses.fields(cls)}
        field = data.get("field") if isinstance(data, dict) else None
        if (
            not isinstance(field, list)
            or set(data) != names
            or not all(isinstance(data[name], str) for name in names - {"field"})
            or not all(isinstance(p, str | int) and not isinstance(p, bool) for p in field)
        ):
            raise TypeError("not a LatexCheck")
        return cls(**{**data, "field": tuple(field)})


@dataclasses.dataclass(frozen=True)
class ClaimView:
    """A claim as the reports show it: the file, its measurement and its typeset formulas."""

    claim_file: ClaimFile
    measurement: Measurement
    formula: str  # the prediction as presentation MathML (<math>...</math>)
    latex: LatexCheck | None  # None when the claim gives no latex:

    @property
    def claim(self) -> Claim:
        return self.claim_file.claim
