"""What the plan layer derives for a rule, as plain data the rules can read without SymPy.

The derivations themselves (limits, exponents, affinity) are in `checker.derive`;
this module holds only their result, so that the rules (`checker.agree`) and
`checker lint` share it without importing each other's heavy dependencies. It
travels on the agreement model as a private attribute: it never comes from a
claim file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["Derived", "derived", "group_key", "with_derived"]


@dataclasses.dataclass(frozen=True)
class Derived:
    """What the plan layer derived with SymPy for a rule, so that the rules need no SymPy.

    `exponents`: a scaling rule's asymptotic exponent per sweep group (keyed by
    `group_key`), `formula` the exponent as text; `affine`: a fit prediction is
    affine in its constants (solved in closed form); `notes`: derivations to
    show in the verdict (a rate's limit and order). `source` and `context` are
    what the plan layer re-derives from when a check's prediction changes.
    """

    exponents: Mapping[tuple, float] | None = None
    formula: str = ""
    affine: bool = False
    notes: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    source: Any = None
    context: Any = None


def derived(rule: Any) -> Derived:
    """The derivations attached to a rule, or none."""
    return getattr(rule, "_derived", None) or Derived()


def with_derived(rule: Any, value: Derived) -> Any:
    """A copy of the rule carrying `value` (a private attribute: never read from a file)."""
    copy = rule.model_copy()
    copy._derived = value
    return copy


def group_key(values: Mapping[str, float], variable: str) -> tuple:
    """The sweep group of a point: its values except the rule's variable."""
    return tuple(sorted((k, v) for k, v in values.items() if k != variable))
