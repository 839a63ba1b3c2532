"""From a validated claim to a runnable plan, or to every reason it cannot run.

This is where the claim meets the expression layer and the measurement
registry: expressions are parsed, names bound, parameters validated against
the measurement's own model, and `require` hypotheses and symbol domains
checked at every sweep point. `checker lint` is this module with no runner
behind it, so nothing here imports JAX (hypotheses are evaluated with NumPy).

Planning one file is bounded in time (PLAN_SECONDS, the limit every SymPy step
runs under) and in size (`where:` helpers expand to at most
MAX_EXPANDED_NODES), and whatever goes wrong inside it is that file's located
problem, never an error that stops the other files.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
import itertools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pydantic
import sympy as sp

from checker import derive, spec
from checker.compile import compile_expr, numpy_backend
from checker.expr import ExprError, bounded, parse_expr, symbols_for
from checker.measure.registry import (
    BROKEN_MODULES,
    Measurement,
    get_measurement,
    registered_measurements,
)
from checker.spec import ClaimFile, ClaimFileError

__all__ = [
    "DOMAINS",
    "MAX_EXPANDED_DEPTH",
    "MAX_EXPANDED_NODES",
    "PLAN_SECONDS",
    "Check",
    "HelperError",
    "Plan",
    "expand_helpers",
    "input_defaults",
    "plan_claim",
]

PLAN_SECONDS = 3.0  # one file; lint plans each on every run, and a shipped claim takes < 0.1 s
MAX_EXPANDED_NODES = 10_000  # an expression with its where: helpers substituted
MAX_EXPANDED_DEPTH = 100  # (SymPy's printers and walkers recurse once or more per level)

DOMAINS = {  # a symbol's declared domain, checked on numbers (not assumed by SymPy)
    "real": lambda v: np.isfinite(v),
    "positive": lambda v: v > 0,
    "nonnegative": lambda v: v >= 0,
    "negative": lambda v: v < 0,
    "integer": lambda v: float(v).is_integer(),
    "positive_integer": lambda v: float(v).is_integer() and v > 0,
    "unit_interval": lambda v: 0 <= v <= 1,
}


@dataclasses.dataclass(frozen=True)
class RootOf:
    """The prediction is the root of `Check.prediction` in `unknown` between low and high."""

    unknown: sp.Symbol
    low: sp.Basic
    high: sp.Basic
    pick: str


@dataclasses.dataclass(frozen=True)
class Stationary:
    """The target minimises the objective `Check.prediction`; `gradient` is its derivative."""

    gradient: sp.Basic
    subject_to: str | None


@dataclasses.dataclass(frozen=True)
class Check:
    """One way of checking the claim: the claim itself, or one must-fail variant."""

    name: str
    prediction: sp.Basic
    fit: tuple[sp.Symbol, ...]
    agreement: Any
    params: Mapping[str, Any]
    sweep: tuple[dict[str, float], ...]
    tolerances: Mapping[str, sp.Basic]
    observes: tuple[tuple[str, sp.Basic], ...]
    violates: tuple[str, ...] = ()
    implicit: RootOf | Stationary | None = None

    def __post_init__(self) -> None:
        """A check copied with a new prediction (a mutant) re-derives its rule's exponent."""
        object.__setattr__(self, "agreement", derive.refreshed(self.agreement, self.prediction))

    def params_at(self, measurement: Measurement, point: Mapping[str, float]) -> pydantic.BaseModel:
        """The measurement's params at a sweep point (static: one compile per distinct value)."""
        fields = {k: v for k, v in {**self.params, **point}.items() if k not in measurement.inputs}
        return measurement.params.model_validate(fields)

    def inputs_at(self, measurement: Measurement, point: Mapping[str, float]) -> dict[str, float]:
        """The traced inputs at a sweep point."""
        merged = {**input_defaults(measurement), **self.params, **point}
        return {k: float(merged[k]) for k in measurement.inputs}


@dataclasses.dataclass(frozen=True)
class Plan:
    claim_file: ClaimFile
    measurement: Measurement
    check: Check
    variants: tuple[Check, ...]

    @property
    def claim(self) -> spec.Claim:
        return self.claim_file.claim


class _OutOfPlanningTime(BaseException):
    """Raised inside planning when its time is up; no `except Exception` inside SymPy eats it."""


def plan_claim(
    claim_file: ClaimFile, seconds: float | None = PLAN_SECONDS
) -> Plan | list[ClaimFileError]:
    """Everything `checker lint` checks, producing the plan the runner executes.

    Within `seconds` (None: no limit), or a located problem that says where it
    stopped. An unexpected failure is this file's problem too, so that one
    claim file can never stop the run of the others.
    """
    planner = _Planner(claim_file)
    try:
        with derive.deadline(seconds, _OutOfPlanningTime):
            return planner.plan()
    except _OutOfPlanningTime:
        return planner.stopped(
            f"planning took over {seconds:g} s",
            "simplify its expressions or where: helpers, or use fewer variants or sweep points",
        )
    except Exception as exc:  # a SymPy corner case: said for this file, not raised
        text = (str(exc).splitlines() or [""])[0][:160]
        return planner.stopped(f"checker could not plan this file: {type(exc).__name__}: "
                               f"{text}; please report it", "")  # fmt: skip


class HelperError(Exception):
    """`where:` helpers that cannot be substituted; `helper` names the one to fix."""

    def __init__(self, helper: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.helper = helper
        self.message = message
        self.hint = hint


def expand_helpers(definitions: Mapping[sp.Symbol, sp.Basic]) -> dict[sp.Symbol, sp.Basic]:
    """Each `where:` helper with the helpers it uses substituted, so that one xreplace
    expands any expression; each is substituted once, in dependency order.

    Refused, as HelperError: helpers that define each other in a cycle, and a
    helper that grows past MAX_EXPANDED_NODES or MAX_EXPANDED_DEPTH (a chain
    of helpers that each use the next twice doubles at every link).
    """
    shapes: dict[sp.Basic, tuple[int, int]] = {}
    expanded: dict[sp.Symbol, sp.Basic] = {}
    for helper in _dependency_order(definitions):
        value = definitions[helper]
        used = {s: expanded[s] for s in value.free_symbols if s in expanded}
        value = value.xreplace(used) if used else value
        problem = expansion_problem(value, shapes)
        if problem:
            raise HelperError(str(helper), f"{helper!s} {problem}",
                              "define fewer, smaller helpers")  # fmt: skip
        expanded[helper] = value
    return expanded


def expansion_problem(expr: sp.Basic, shapes: dict[sp.Basic, tuple[int, int]] | None = None) -> str:
    """Why an expression with its helpers substituted is too large to work on, or ""."""
    size, depth = _shape(expr, {} if shapes is None else shapes)
    if size > MAX_EXPANDED_NODES:
        return (f"has {size} parts once where: helpers are substituted; "
                f"the limit is {MAX_EXPANDED_NODES}")  # fmt: skip
    if depth > MAX_EXPANDED_DEPTH:
        return (f"is nested {depth} levels deep once where: helpers are substituted; "
                f"the limit is {MAX_EXPANDED_DEPTH}")  # fmt: skip
    return ""


def _shape(expr: sp.Basic, shapes: dict[sp.Basic, tuple[int, int]]) -> tuple[int, int]:
    """The size and depth of expr as a tree, counting each distinct subtree once (linear
    in the shared graph, though the tree it stands for may be exponentially larger)."""
    stack = [expr]
    while stack:  # children before parents, without recursion: a chain may be deep
        node = stack[-1]
        pending = [a for a in node.args if a not in shapes]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        parts = [shapes[a] for a in node.args]
        shapes[node] = (1 + sum(p[0] for p in parts), 1 + max((p[1] for p in parts), default=0))
    return shapes[expr]


def _dependency_order(definitions: Mapping[sp.Symbol, sp.Basic]) -> list[sp.Symbol]:
    """Helpers, each after those it uses; HelperError naming a cycle."""
    uses = {h: sorted(v.free_symbols & definitions.keys(), key=str) for h, v in definitions.items()}
    order: list[sp.Symbol] = []
    done: set[sp.Symbol] = set()
    for root in definitions:
        if root in done:
            continue
        path, on_path, stack = [root], {root}, [iter(uses[root])]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path[-1])
                order.append(path.pop())
            elif following in on_path:
                cycle = " -> ".join(str(s) for s in (*path[path.index(following) :], following))
                raise HelperError(str(following), f"helpers {cycle} define each other in a cycle",
                                  "a helper may use only helpers that do not use it")  # fmt: skip
            elif following not in done:
                path.append(following)
                on_path.add(following)
                stack.append(iter(uses[following]))
    return order


class _Planner:
    def __init__(self, claim_file: ClaimFile) -> None:
        self.file = claim_file
        self.claim = claim_file.claim
        self.problems: list[ClaimFileError] = []
        self._parsed: dict[tuple, tuple[Mapping[str, sp.Basic], sp.Basic | None]] = {}
        self._predicted: dict[tuple, tuple[spec.Prediction, tuple[Any, Any]]] = {}
        self._held: dict[tuple, list[bool]] = {}
        self.at: tuple[Any, ...] = ("measurement", "name")  # what is being planned

    def problem(self, path: tuple[Any, ...], message: str, hint: str = "") -> None:
        field = ".".join(str(p) for p in path)
        self.problems.append(ClaimFileError(self.file.where(*path), f"{field}: {message}", hint))

    def stopped(self, message: str, hint: str) -> list[ClaimFileError]:
        """The problems found so far, and why planning stopped where it was."""
        self.problem(self.at, message, hint)
        return self._distinct()

    def _distinct(self) -> list[ClaimFileError]:
        return list({(str(p.location), p.message): p for p in self.problems}.values())

    def plan(self) -> Plan | list[ClaimFileError]:
        claim = self.claim
        measurement = get_measurement(claim.measurement.name)
        if measurement is None:
            self._unknown_measurement()
            return self.problems
        self.measurement = measurement
        self.names = symbols_for(claim.symbols)
        self.outputs = symbols_for(measurement.outputs)
        main = self._check((), "claim", claim.prediction, claim.agreement, {}, {}, ())
        variants = []
        for i, variant in enumerate(claim.must_fail):
            variants.append(self._variant(i, variant))
        if self.problems or main is None or None in variants:
            return self._distinct()
        return Plan(self.file, measurement, main, tuple(variants))

    def _unknown_measurement(self) -> None:
        known = sorted(registered_measurements())
        name = self.claim.measurement.name
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"registered: {', '.join(known)}"
        module = f"checker.measure.{name.split('.')[0]}"
        if module in BROKEN_MODULES:
            hint = f"{module} failed to import: {BROKEN_MODULES[module]}"
        self.problem(("measurement", "name"), f"unknown measurement {name!r}", hint)

    def _variant(self, i: int, variant: spec.Variant) -> Check | None:
        prediction = self.claim.prediction
        if variant.prediction is not None:
            prediction = prediction.overridden(variant.prediction)
        try:
            agreement = spec.variant_agreement(self.claim, variant)
        except pydantic.ValidationError:
            return None  # reported by the spec layer
        return self._check(
            ("must_fail", i), variant.name, prediction, agreement,
            variant.params, variant.sweep, tuple(variant.violates),
        )  # fmt: skip

    def _check(
        self,
        at: tuple[Any, ...],
        name: str,
        prediction: spec.Prediction,
        agreement: Any,
        params_override: Mapping[str, Any],
        sweep_override: Mapping[str, list[float]],
        violates: tuple[str, ...],
    ) -> Check | None:
        before = len(self.problems)
        self.at = at or ("prediction",)
        params = {**self.claim.measurement.params, **params_override}
        sweep = {**self.claim.sweep, **sweep_override}
        params_at = (*at, "params") if params_override else ("measurement", "params")
        sweep_at = (*at, "sweep") if sweep_override else ("sweep",)
        self._check_params(params, sweep, params_at, sweep_at)
        points = _grid(sweep)
        binders = {  # who binds a name: later entries override, as the sweep point binds first
            **dict.fromkeys(self.measurement.outputs, "a measured output"),
            **dict.fromkeys(self._param_values(params), "a measurement param"),
            **dict.fromkeys(sweep, "swept"),
        }
        bound = set(binders)
        pred_at = (*at, "prediction") if at else ("prediction",)
        expr, implicit = self._prediction(prediction, pred_at, binders)
        self._check_form(prediction, agreement, at)
        tolerances = self._tolerances(
            agreement, (*at, "agreement") if at else ("agreement",), bound
        )
        self._check_agreement_variable(agreement, sweep, at)
        observes = self._observes(violates)
        self._check_requires(points, params, violates, at)
        self._check_domains(points, params, sweep_at)
        if len(self.problems) > before or expr is None:
            return None
        fit = tuple(self.names[f] for f in prediction.fit if f in self.names)
        derived = self._derive(expr, implicit, agreement, fit, points, params, at)
        if derived is None:
            return None
        expr, agreement, fit = derived
        return Check(
            name, expr, fit, agreement, params, tuple(points), tolerances, observes, violates,
            implicit,
        )  # fmt: skip

    # ----------------------------------------------------------------- pieces

    def _derive(
        self,
        expr: sp.Basic,
        implicit: Any,
        agreement: Any,
        fit: tuple[sp.Symbol, ...],
        points: list[dict],
        params: Mapping[str, Any],
        at: tuple,
    ) -> tuple[sp.Basic, Any, tuple[sp.Symbol, ...]] | None:
        """What the rule derives from the prediction (checker.derive), or None with a problem.

        `order: auto` swaps the finite-n prediction for its limit: that is what
        the measurement must approach, and the order travels on the rule.
        """
        domains = {name: symbol.domain for name, symbol in self.claim.symbols.items()}
        fixed = self._param_values(params)
        path = (*at, "agreement") if at else ("agreement",)
        try:
            if agreement.rule == "scaling":
                explicit = expr if implicit is None else None
                agreement = derive.scaling_rule(agreement, explicit, domains, points, fixed)
            elif agreement.rule == "rate" and agreement.order == "auto":
                if implicit is not None:
                    raise derive.NotDerivable("order: auto needs an explicit expr: prediction")
                expr, agreement = derive.rate_rule(agreement, expr, domains, points, fixed)
                if expr.free_symbols & set(fit):
                    raise derive.NotDerivable(f"the derived limit {expr} depends on fit constants")
                fit = ()
            elif agreement.rule == "fit" and fit and implicit is None:
                agreement = derive.fit_rule(agreement, expr, fit)
        except derive.NotDerivable as exc:
            field = "exponent" if agreement.rule == "scaling" else "order"
            hint = "use exponent: range" if field == "exponent" else "give order: as a number"
            own = at and self.claim.must_fail[at[1]].prediction is not None
            self.problem((*at, "prediction", "expr") if own else (*path, field), exc.message, hint)
            return None
        return expr, agreement, fit

    def _check_params(
        self, params: Mapping[str, Any], sweep: Mapping[str, Any], params_at: tuple, sweep_at: tuple
    ) -> None:
        m = self.measurement
        fields = set(m.params.model_fields)
        allowed = sorted(fields | set(m.inputs))
        for key in params:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
                self.problem((*params_at, key), f"{m.name} has no parameter {key!r}", hint)
        for key in sweep:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"inputs and params of {m.name}: {', '.join(allowed)}"
                )
                self.problem((*sweep_at, key), f"{key!r} is neither an input nor a parameter of {m.name}", hint)  # fmt: skip
        defaults = input_defaults(m)
        for key in m.inputs:
            if key not in sweep and key not in params and key not in defaults:
                self.problem(
                    sweep_at or ("sweep",), f"input {key!r} of {m.name} is not bound",
                    f"add `{key}` to sweep: or to measurement.params",
                )  # fmt: skip
        static = {k: v for k, v in params.items() if k in fields}
        for values in _grid({k: v for k, v in sweep.items() if k in fields}) or [{}]:
            try:
                m.params.model_validate({**static, **values})
            except pydantic.ValidationError as exc:
                for error in exc.errors():
                    key = error["loc"][0] if error["loc"] else ""
                    path = (*sweep_at, key) if key in values else (*params_at, key)
                    message = error["msg"].removeprefix("Value error, ")
                    self.problem(path, f"{message} (got {error.get('input')!r})")
                return

    def _prediction(
        self, prediction: spec.Prediction, at: tuple, binders: Mapping[str, str]
    ) -> tuple[sp.Basic | None, RootOf | Stationary | None]:
        """The claim's own prediction, planned once: most variants share it unchanged."""
        key = (id(prediction), frozenset(binders.items()))  # (prediction kept alive with entry)
        if key in self._predicted:
            return self._predicted[key][1]
        before = len(self.problems)
        found = self._prediction_once(prediction, at, binders)
        if len(self.problems) == before:  # a failed one is planned again, to say where
            self._predicted[key] = (prediction, found)
        return found

    def _prediction_once(
        self, prediction: spec.Prediction, at: tuple, binders: Mapping[str, str]
    ) -> tuple[sp.Basic | None, RootOf | Stationary | None]:
        if prediction.target not in self.measurement.outputs:
            outputs = ", ".join(self.measurement.outputs)
            self.problem((*at, "target"), f"{prediction.target!r} is not an output of "
                         f"{self.measurement.name}", f"outputs: {outputs}")  # fmt: skip
        bound = set(binders)
        names = {**self.names, **symbols_for(prediction.where)}
        definitions = self._helpers(prediction, at, names, binders)
        if definitions is None:
            return None, None

        def parse(text: str, path: tuple, extra: Mapping[str, sp.Symbol] = {}) -> sp.Basic | None:
            value = self._parse(text, (*at, *path), {**names, **extra})
            if value is None:
                return None
            if definitions:
                value = self._substituted(value, definitions, (*at, *path))
                if value is None:
                    return None
            free = {str(s) for s in value.free_symbols} - set(prediction.fit) - set(extra)
            for name in sorted(free - bound):
                self.problem(
                    (*at, *path), f"symbol {name!r} is not bound",
                    "bind it by sweep:, measurement.params, a measurement output, where: or fit:",
                )  # fmt: skip
            return value

        for name in prediction.fit:
            if name not in self.names:
                self.problem((*at, "fit"), f"fit constant {name!r} is not declared under symbols")
        if prediction.root_of is not None:
            return self._root_of(prediction.root_of, parse)
        if prediction.stationary is not None:
            return self._stationary(prediction, at, parse)
        return parse(prediction.expr, ("expr",)), None

    def _helpers(
        self,
        prediction: spec.Prediction,
        at: tuple,
        names: Mapping[str, sp.Symbol],
        binders: Mapping[str, str],
    ) -> dict[sp.Symbol, sp.Basic] | None:
        """The `where:` helpers expanded (`expand_helpers`), or None with the problems said.

        A helper named like a swept symbol, a param or an output would be
        substituted over the value that, by the documented precedence, binds it.
        """
        definitions = {}
        refused = False
        for key, text in prediction.where.items():
            if key in binders:
                refused = True
                self.problem(
                    (*at, "where", key),
                    f"{key!r} is {binders[key]}, which binds the name before where: helpers do",
                    "rename the helper: names are bound by the sweep point, then params, "
                    "measured outputs, where: and fit:",
                )  # fmt: skip
                continue
            value = self._parse(text, (*at, "where", key), names)
            if value is not None:
                definitions[names[key]] = value
        if refused:
            return None
        try:
            return expand_helpers(definitions)
        except HelperError as exc:
            self.problem((*at, "where", exc.helper), exc.message, exc.hint)
            return None

    def _substituted(
        self, value: sp.Basic, definitions: Mapping[sp.Symbol, sp.Basic], path: tuple
    ) -> sp.Basic | None:
        """value with the helpers substituted, or None with why it is too large to use."""
        value = value.xreplace(definitions)  # shares each helper's tree: cheap, however large
        problem = expansion_problem(value)
        if problem:
            self.problem(path, f"the expression {problem}", "define fewer, smaller helpers")
            return None
        try:
            return bounded(value)
        except ExprError as exc:
            self.problem(path, f"{exc.message} once where: helpers are substituted", exc.hint)
            return None

    def _root_of(self, root: spec.RootOf, parse: Any) -> tuple[sp.Basic | None, RootOf | None]:
        unknown = symbols_for([root.unknown])
        expr = parse(root.expr, ("root_of", "expr"), unknown)
        low, high = (parse(b, ("root_of", "bracket", i)) for i, b in enumerate(root.bracket))
        if expr is None or low is None or high is None:
            return None, None
        return expr, RootOf(unknown[root.unknown], low, high, root.pick)

    def _stationary(
        self, prediction: spec.Prediction, at: tuple, parse: Any
    ) -> tuple[sp.Basic | None, Stationary | None]:
        form = prediction.stationary
        target = symbols_for([prediction.target])
        objective = parse(form.objective, ("stationary", "objective"), target)
        if form.subject_to is not None and form.subject_to not in self.measurement.outputs:
            self.problem(
                (*at, "stationary", "subject_to"),
                f"{form.subject_to!r} is not an output of {self.measurement.name}",
                f"outputs: {', '.join(self.measurement.outputs)}",
            )
        if objective is None:
            return None, None
        gradient = sp.diff(objective, target[prediction.target])
        if gradient.is_zero:
            self.problem((*at, "stationary", "objective"),
                         f"the objective does not depend on the target {prediction.target!r}")  # fmt: skip
        return objective, Stationary(gradient, form.subject_to)

    def _check_form(self, prediction: spec.Prediction, agreement: Any, at: tuple) -> None:
        """Implicit forms make sense with some rules only."""
        path = (*at, "prediction") if at else ("prediction",)
        if prediction.form != "expr" and prediction.fit:
            self.problem((*path, "fit"), f"fit: is not supported with {prediction.form}",
                         "fit constants need an explicit expr")  # fmt: skip
        if prediction.form == "stationary" and agreement.rule not in ("close", "bound"):
            self.problem(
                (*at, "agreement", "rule") if at else ("agreement", "rule"),
                f"a stationary prediction is a KKT residual held near 0; rule "
                f"{agreement.rule!r} does not apply",
                "use rule: close with atol:, or rule: bound with side: upper and slack:",
            )

    def _tolerances(self, agreement: Any, at: tuple, bound: set[str]) -> dict[str, sp.Basic]:
        tolerances = {}
        for key in ("atol", "rtol", "slack"):
            text = getattr(agreement, key, None)
            if text is None:
                continue
            value = self._parse(text, (*at, key), self.names)
            if value is None:
                continue
            for name in sorted({str(s) for s in value.free_symbols} - bound):
                self.problem((*at, key), f"symbol {name!r} is not bound")
            tolerances[key] = value
        return tolerances

    def _check_agreement_variable(self, agreement: Any, sweep: Mapping, at: tuple) -> None:
        variable = getattr(agreement, "variable", None)
        if variable is None:
            return
        path = (*at, "agreement", "variable") if at else ("agreement", "variable")
        if variable not in sweep:
            self.problem(path, f"{variable!r} is not swept", "the rule needs it under sweep:")
        elif len(set(sweep[variable])) < 2 or min(sweep[variable]) <= 0:
            self.problem(path, f"{variable!r} needs >= 2 distinct positive sweep values")

    def _observes(self, violates: tuple[str, ...]) -> tuple[tuple[str, sp.Basic], ...]:
        found = []
        names = {**self.names, **self.outputs}
        for i, hypothesis in enumerate(self.claim.hypotheses):
            if hypothesis.observe is None or hypothesis.name in violates:
                continue
            value = self._parse(hypothesis.observe, ("hypotheses", i, "observe"), names, True)
            if value is not None:
                found.append((hypothesis.name, value))
        return tuple(found)

    def _check_requires(
        self, points: list[dict], params: Mapping[str, Any], violates: tuple[str, ...], at: tuple
    ) -> None:
        for i, hypothesis in enumerate(self.claim.hypotheses):
            if hypothesis.require is None or hypothesis.name in violates:
                continue
            path = ("hypotheses", i, "require")
            condition = self._parse(hypothesis.require, path, self.names, True)
            if condition is None:
                continue
            fixed = self._param_values(params)
            missing = {str(s) for s in condition.free_symbols} - {*fixed, *(points or [{}])[0]}
            if missing:
                self.problem(path, f"require uses unbound {', '.join(sorted(missing))}")
                continue
            at_points = [{**fixed, **point} for point in points or [{}]]
            key = (i, tuple(tuple(point.items()) for point in at_points))
            if key not in self._held:  # variants mostly keep the claim's own points
                self._held[key] = _holds(condition, at_points)
            holds = self._held[key]
            for point, ok in zip(points or [{}], holds, strict=True):
                if not ok:
                    where = f" (in must-fail variant {'.'.join(map(str, at))})" if at else ""
                    self.problem(
                        path, f"{hypothesis.require!r} fails at {_show(point)}{where}",
                        "change the sweep, or list the hypothesis under the variant's violates:",
                    )  # fmt: skip
                    break

    def _check_domains(self, points: list[dict], params: Mapping[str, Any], at: tuple) -> None:
        values_seen: dict[str, set[float]] = {}
        fixed = self._param_values(params)
        for point in points or [{}]:
            for key, value in {**fixed, **point}.items():
                values_seen.setdefault(key, set()).add(value)
        for name, symbol in self.claim.symbols.items():
            test = DOMAINS[symbol.domain]
            for value in sorted(values_seen.get(name, ())):
                if not test(value):
                    self.problem((*at, name) if name in self.claim.sweep else ("symbols", name),
                                 f"value {value!r} is outside the domain {symbol.domain}")  # fmt: skip
                    break

    def _param_values(self, params: Mapping[str, Any]) -> dict[str, float]:
        fields = self.measurement.params.model_fields
        defaults = {k: f.default for k, f in fields.items() if _is_number(f.default)}
        merged = {**defaults, **input_defaults(self.measurement), **params}
        return {k: float(v) for k, v in merged.items() if _is_number(v)}

    def _parse(
        self, text: str, path: tuple, names: Mapping[str, sp.Basic], compare: bool = False
    ) -> sp.Basic | None:
        key = (text, compare, id(names))  # variants re-read the claim's own texts
        if key not in self._parsed:  # (names kept alive with the entry, so its id stays unique)
            self._parsed[key] = (names, self._parse_once(text, path, names, compare))
        return self._parsed[key][1]

    def _parse_once(
        self, text: str, path: tuple, names: Mapping[str, sp.Basic], compare: bool
    ) -> sp.Basic | None:
        try:
            return parse_expr(text, names, allow_compare=compare)
        except ExprError as exc:
            self.problem(path, f"{exc.message}" + (f" (column {exc.column} of {text!r})"
                         if exc.column else ""), exc.hint)  # fmt: skip
            return None


def _grid(sweep: Mapping[str, list[float]]) -> list[dict[str, float]]:
    if not sweep:
        return [{}]
    keys = list(sweep)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*sweep.values())]


def input_defaults(measurement: Measurement) -> dict[str, Any]:
    """Numeric defaults of the measurement's traced inputs (keyword-only arguments)."""
    return {  # a default that is not a number (None) leaves the input to the claim
        name: default
        for name, default in _defaults(measurement.fn).items()
        if name in measurement.inputs and _is_number(default)
    }


@functools.cache
def _defaults(function: Callable[..., Any]) -> dict[str, Any]:
    """A function's parameter defaults; inspect.signature is slow and lint asks thousands of times."""
    return {name: p.default for name, p in inspect.signature(function).parameters.items()}


def _holds(condition: sp.Basic, points: list[Mapping[str, float]]) -> list[bool]:
    """Whether the condition holds at each point: compiled once, evaluated on all of them."""
    symbols = sorted(condition.free_symbols, key=str)
    function = compile_expr(condition, symbols, numpy_backend())
    columns = (np.array([point[s.name] for point in points], np.float64) for s in symbols)
    with np.errstate(all="ignore"):
        result = np.broadcast_to(np.asarray(function(*columns), bool), (len(points),))
    return [bool(x) for x in result]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show(point: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in point.items()) or "the fixed parameters"
