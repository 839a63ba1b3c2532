"""checker: hold the closed-form claims of ML-theory papers against JAX measurements.

The public surface is small and stable; everything else may be refactored:

- `checker.measurement`: register a per-seed JAX measurement;
- `checker.load_claim`, `checker.load_claims`: read and validate claim files;
- `checker.lint`, `checker.verify`: the library forms of the two commands;
- `checker.mutate_plan`, `checker.falsify`, `checker.check_latex`: checking the
  checks (mutants, counterexamples, the printed formula) for one linted plan;
- `checker.read_latex`: a paper's LaTeX read into SymPy (every reading, if ambiguous).

Importing `checker` loads neither JAX nor SymPy; the names that need them are
imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from checker.measure.registry import measurement as measurement
from checker.spec import Claim as Claim
from checker.spec import ClaimFileError as ClaimFileError
from checker.spec import load_claim as load_claim
from checker.spec import load_claims as load_claims

__version__ = "0.1.0"

_LAZY = {
    "ClaimResult": "checker.results",
    "InvalidClaims": "checker.verify",
    "lint": "checker.verify",
    "verify": "checker.verify",
    "mutate_plan": "checker.mutate",
    "falsify": "checker.falsify",
    "check_latex": "checker.latex",
    "read_latex": "checker.latex_reader",
}

__all__ = [  # noqa: RUF022 - sorted by hand, eager names first
    "Claim",
    "ClaimFileError",
    "load_claim",
    "load_claims",
    "measurement",
    "ClaimResult",
    "InvalidClaims",
    "lint",
    "verify",
    "mutate_plan",
    "falsify",
    "check_latex",
    "read_latex",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'checker' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
