"""The claim format: frozen pydantic models, and loading them from YAML with located errors.

This layer knows nothing of SymPy or JAX. Expressions stay text here; the
expression layer parses them. What can be checked from the file alone (shape,
types, unknown keys, names, cross-references between fields) is checked here,
and every problem points at `file:line:column` with the field path and value.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import keyword
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from checker.yamlio import ClaimFileError, Located, Location, read_yaml

__all__ = [
    "Agreement",
    "Claim",
    "ClaimFile",
    "ClaimFileError",
    "Hypothesis",
    "Latex",
    "MeasurementSpec",
    "Prediction",
    "Profile",
    "RootOf",
    "Source",
    "Stationary",
    "SymbolSpec",
    "Variant",
    "claim_files",
    "load_claim",
    "load_claims",
    "validate_file",
    "variant_agreement",
]

MAX_EXPR_CHARS = 2000
MAX_SWEEP_POINTS = 10_000  # one check: the claim, or one must-fail variant
MAX_TOTAL_SWEEP_POINTS = 10 * MAX_SWEEP_POINTS  # the claim and its variants: lint plans them all
MAX_VARIANTS = 64
MAX_HELPERS = 100  # where: helpers of one prediction


def _expr_text(value: Any) -> Any:
    """Tolerances may be written as numbers; keep every expression as text."""
    if isinstance(value, bool):
        raise ValueError("expected an expression or a number, not a boolean")
    if isinstance(value, int | float):
        return repr(value)
    return value


Expr = Annotated[
    str,
    pydantic.BeforeValidator(_expr_text),
    Field(min_length=1, max_length=MAX_EXPR_CHARS),
]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
Number = Annotated[int, pydantic.Strict()] | Annotated[float, pydantic.Strict()]
Domain = Literal[
    "real", "positive", "nonnegative", "negative", "integer", "positive_integer", "unit_interval"
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Model):
    title: str = Field(min_length=1)
    authors: list[str] = Field(min_length=1)
    year: int = Field(ge=1600, le=2100)
    arxiv: str | None = Field(None, pattern=r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")
    where: str = Field(min_length=1, description="equation, theorem or section of the claim")


class SymbolSpec(_Model):
    domain: Domain = "real"
    doc: str = ""


class Hypothesis(_Model):
    """A condition of the theorem: `require` on parameters, or `observe` on measurements."""

    name: str = Field(min_length=1, max_length=64)
    text: str = ""
    require: Expr | None = None
    observe: Expr | None = None

    @pydantic.model_validator(mode="after")
    def _one_check(self) -> Hypothesis:
        if (self.require is None) == (self.observe is None):
            raise ValueError("give exactly one of `require` (on parameters) or `observe`")
        return self


class RootOf(_Model):
    """An implicit prediction: the root in `unknown` of `expr` inside `bracket`.

    Theorems often fix a quantity only as the solution of an equation (a
    length that balances two terms, a fixed point). `pick` says which root the
    theorem means when the bracket holds several.
    """

    expr: Expr
    unknown: Name
    bracket: tuple[Expr, Expr]
    pick: Literal["only", "smallest", "largest"] = "only"


class Stationary(_Model):
    """An implicit prediction: the measured `target` minimises a separable objective.

    The objective is summed over the target's coordinates; the point must be
    a KKT point under the measured linear constraints `subject_to @ target =
    const`. The checker differentiates the objective with SymPy and measures
    the relative KKT residual, which the agreement rule then holds near 0.
    """

    objective: Expr
    subject_to: Name | None = None


_FORMS = ("expr", "root_of", "stationary")


class Prediction(_Model):
    """What the theorem predicts for the measured `target`: one of three forms."""

    expr: Expr | None = None
    root_of: RootOf | None = None
    stationary: Stationary | None = None
    target: Name
    where: dict[Name, Expr] = Field(default_factory=dict, max_length=MAX_HELPERS)
    fit: list[Name] = Field(default_factory=list)

    @pydantic.model_validator(mode="after")
    def _one_form(self) -> Prediction:
        given = [f for f in _FORMS if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `expr`, `root_of` or `stationary`"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def form(self) -> str:
        return next(f for f in _FORMS if getattr(self, f) is not None)

    def overridden(self, override: PredictionOverride) -> Prediction:
        """This prediction with a variant's changes; a new form replaces the old one."""
        changes = override.model_dump(exclude_none=True)
        if any(f in changes for f in _FORMS):
            changes = {**dict.fromkeys(_FORMS), **changes}
        update = {k: getattr(override, k) if k in _FORMS else v for k, v in changes.items()}
        return self.model_copy(update=update)

    def text(self) -> str:
        """The prediction as one line, for reports."""
        if self.root_of is not None:
            r = self.root_of
            low, high = r.bracket
            return f"root of {r.expr} in {r.unknown} on [{low}, {high}] ({r.pick})"
        if self.stationary is not None:
            s = self.stationary
            under = f" subject to {s.subject_to} @ {self.target} = const" if s.subject_to else ""
            return f"{self.target} minimises sum({s.objective}){under}"
        return str(self.expr)


class PredictionOverride(_Model):
    expr: Expr | None = None
    root_of: RootOf | None = None
    stationary: Stationary | None = None
    where: Annotated[dict[Name, Expr], Field(max_length=MAX_HELPERS)] | None = None
    fit: list[Name] | None = None


class MeasurementSpec(_Model):
    name: str = Field(min_length=1, max_length=200)
    params: dict[Name, Any] = Field(default_factory=dict)
    seeds: int = Field(8, ge=1, le=4096)


class Close(_Model):
    """Seed mean within atol + rtol*|prediction| at every point."""

    rule: Literal["close"]
    atol: Expr = "0"
    rtol: Expr = "0"


class Interval(_Model):
    """Prediction inside the seed mean's t-interval (Bonferroni over points), widened by tolerances."""

    rule: Literal["interval"]
    confidence: float = Field(0.99, gt=0.5, lt=1.0)
    atol: Expr = "0"
    rtol: Expr = "0"


class Scaling(_Model):
    """Log-log slope of the measurement against `variable` equals the prediction's slope.

    The prediction's slope is its own log-log slope over the swept range
    (`exponent: range`), or its asymptotic exponent, the limit of d log f / d log
    variable as the variable grows (`exponent: asymptotic`), derived with SymPy at
    plan time: the form in which papers state a rate, "f grows like n^a".
    """

    rule: Literal["scaling"]
    variable: Name
    tol: float = Field(gt=0)
    exponent: Literal["range", "asymptotic"] = "range"
    _derived: Any = pydantic.PrivateAttr(None)  # filled by the plan layer, never from the file


class Bound(_Model):
    """Measurement on one side of the prediction for every seed and point."""

    rule: Literal["bound"]
    side: Literal["upper", "lower"]
    slack: Expr = "0"
    tight: float | None = Field(
        None, gt=0, le=1, description="the bound must also be reached to this fraction somewhere"
    )


class Fit(_Model):
    """After fitting the free constants, the largest relative residual is within tol."""

    rule: Literal["fit"]
    tol: float = Field(gt=0)
    _derived: Any = pydantic.PrivateAttr(None)  # filled by the plan layer, never from the file


class Rate(_Model):
    """The error against the prediction shrinks at least like variable**-order.

    With `order: auto` the prediction is a finite-n formula f(n) = f_inf + c n^-a
    + o(n^-a), the form in which papers state "the limit is reached at rate
    n^-a": the plan layer derives the limit f_inf the measurement must approach
    and the order a = -lim d log|f - f_inf| / d log n with SymPy.
    """

    rule: Literal["rate"]
    variable: Name
    order: Annotated[float, Field(gt=0)] | Literal["auto"]
    tol: float = Field(ge=0)
    _derived: Any = pydantic.PrivateAttr(None)  # filled by the plan layer, never from the file


Agreement = Annotated[Close | Interval | Scaling | Bound | Fit | Rate, Field(discriminator="rule")]
_AGREEMENT = pydantic.TypeAdapter(Agreement)


class Variant(_Model):
    """A must-fail variant: the same check, made wrong on purpose, must disagree."""

    name: str = Field(min_length=1, max_length=64)
    why: str = ""
    prediction: PredictionOverride | None = None
    params: dict[Name, Any] = Field(default_factory=dict)
    sweep: dict[Name, list[Number]] = Field(default_factory=dict)
    agreement: dict[str, Any] = Field(default_factory=dict)
    violates: list[str] = Field(default_factory=list)

    @pydantic.model_validator(mode="after")
    def _changes_something(self) -> Variant:
        if not (self.prediction or self.params or self.sweep or self.agreement):
            raise ValueError(
                "a must-fail variant must change the prediction, params, sweep or agreement"
            )
        return self


def _latex_text(value: Any) -> Any:
    """`latex:` may be the formula alone; the mapping form adds `symbols:`."""
    return {"text": value} if isinstance(value, str) else value


def _latex_schema(schema: dict[str, Any]) -> None:
    """The JSON Schema says what the loader accepts: a plain string too."""
    schema["anyOf"].insert(0, {"type": "string", "minLength": 1, "maxLength": MAX_EXPR_CHARS})


class Latex(_Model):
    """The formula as the paper prints it, and how its symbols bind to the claim's.

    `symbols` maps a LaTeX symbol, named as the parser names it (`V_T`,
    `sigma_w`), to an expression in the claim's symbols (`V`, `sqrt(sigma_w2)`).
    """

    text: str = Field(min_length=1, max_length=MAX_EXPR_CHARS)
    symbols: dict[Annotated[str, Field(min_length=1, max_length=64)], Expr] = Field(
        default_factory=dict
    )


class ProfileMeasurement(_Model):
    params: dict[Name, Any] = Field(default_factory=dict)
    seeds: int | None = Field(None, ge=1, le=4096)


class Profile(_Model):
    """Larger sizes for a machine that affords them: `checker verify --profile NAME`.

    Laid over the claim before it is validated: `params` merge into
    measurement.params, `seeds` replaces the seed count, and each `sweep` key
    replaces that key's values. Claims without the named profile run as written.
    """

    measurement: ProfileMeasurement = Field(default_factory=ProfileMeasurement)
    sweep: dict[Name, Annotated[list[Number], Field(min_length=1, max_length=1000)]] = Field(
        default_factory=dict
    )


class Claim(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)+$", max_length=200)
    title: str = Field(min_length=1, max_length=200)
    source: Source
    statement: str = Field(min_length=1)
    symbols: dict[Name, SymbolSpec]
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    prediction: Prediction
    measurement: MeasurementSpec
    sweep: dict[Name, Annotated[list[Number], Field(min_length=1, max_length=1000)]] = Field(
        default_factory=dict
    )
    agreement: Agreement
    must_fail: list[Variant] = Field(min_length=1, max_length=MAX_VARIANTS)
    x64: bool = False
    latex: Annotated[Latex, pydantic.BeforeValidator(_latex_text)] | None = Field(
        None, json_schema_extra=_latex_schema
    )
    profiles: dict[Name, Profile] = Field(default_factory=dict)

    @property
    def paper(self) -> str:
        return self.id.split("/", 1)[0]


def variant_agreement(
    claim: Claim, variant: Variant
) -> Close | Interval | Scaling | Bound | Fit | Rate:
    """The claim's agreement with the variant's keys laid over it."""
    merged = {**claim.agreement.model_dump(), **variant.agreement}
    return _AGREEMENT.validate_python(merged)


# --------------------------------------------------------------------------- loading


MAX_CLAIM_FILES = 2000  # linting costs ~10 ms a file: a larger folder is a mistake, not a run


def claim_files(paths: list[Path]) -> list[Path]:
    """Claim files under the given paths, sorted, so that runs are reproducible."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            found.append(path)
    return sorted(set(found))


@dataclasses.dataclass(frozen=True)
class ClaimFile:
    """A validated claim with the file it came from, so later layers can point into it."""

    claim: Claim
    path: Path
    located: Located
    profile: str | None = None  # the --profile laid over it, when the claim has one

    def where(self, *path: Any) -> Location:
        return self.located.where(tuple(path))


def load_claim(path: Path, display: str | None = None) -> Claim:
    """Load and validate one claim; raise ClaimFileError naming file, line and field."""
    result = validate_file(path, display)
    if isinstance(result, ClaimFile):
        return result.claim
    raise result[0]


def load_claims(paths: list[Path]) -> list[Claim]:
    """Load every claim under `paths`; raise the first problem found."""
    return [load_claim(p) for p in claim_files(paths)]


def validate_file(
    path: Path, display: str | None = None, profile: str | None = None
) -> ClaimFile | list[ClaimFileError]:
    """The claim in `path` (with `profile` laid over it, where it has one), or every problem."""
    try:
        located = read_yaml(path, display)
    except ClaimFileError as exc:
        return [exc]
    if not isinstance(located.data, dict):
        kind = type(located.data).__name__
        return [ClaimFileError(located.where(()), f"a claim file is a mapping, not a {kind}")]
    located, applied = _with_profile(located, profile)
    try:
        claim = Claim.model_validate(located.data)
    except pydantic.ValidationError as exc:
        return _distinct([_located_error(located, error) for error in exc.errors()])
    problems = _cross_checks(claim, located)
    return problems or ClaimFile(claim, path, located, profile if applied else None)


def _with_profile(located: Located, name: str | None) -> tuple[Located, bool]:
    """The file's data with profile `name` laid over it; its lines point into the profile.

    Done on plain data, before validation, so the merged claim is validated
    whole and an error in an overridden value names the profile's line.
    """
    profiles = located.data.get("profiles")
    if name is None or not isinstance(profiles, dict) or not isinstance(profiles.get(name), dict):
        return located, False
    profile, data = profiles[name], copy.deepcopy(located.data)
    locations = dict(located.locations)
    at = ("profiles", name)
    measurement = profile.get("measurement")
    if isinstance(measurement, dict) and isinstance(data.get("measurement"), dict):
        target = data["measurement"]
        if isinstance(measurement.get("params"), dict) and isinstance(target.get("params"), dict):
            for key, value in measurement["params"].items():
                target["params"][key] = value
                _relocate(
                    locations, (*at, "measurement", "params", key), ("measurement", "params", key)
                )
        if "seeds" in measurement:
            target["seeds"] = measurement["seeds"]
            _relocate(locations, (*at, "measurement", "seeds"), ("measurement", "seeds"))
    if isinstance(profile.get("sweep"), dict):
        sweep = data.setdefault("sweep", {})
        for key, values in profile["sweep"].items():
            if isinstance(sweep, dict):
                sweep[key] = values
                _relocate(locations, (*at, "sweep", key), ("sweep", key))
    return dataclasses.replace(located, data=data, locations=locations), True


def _relocate(locations: dict[tuple, Any], source: tuple, target: tuple) -> None:
    """Point `target` and everything under it at the lines of `source`."""
    for path in [p for p in locations if p[: len(target)] == target]:
        del locations[path]
    for path, where in list(locations.items()):
        if path[: len(source)] == source:
            locations[(*target, *path[len(source) :])] = where


def _located_error(located: Located, error: Any) -> ClaimFileError:
    yaml_path, models = _yaml_path(error["loc"])
    where = located.where(yaml_path)
    field = ".".join(str(p) for p in yaml_path) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        key = yaml_path[-1]
        allowed = sorted(models[-1].model_fields) if models else []
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        return ClaimFileError(where, f"{field}: unknown key {key!r}", hint)
    if kind == "missing":
        return ClaimFileError(where, f"{field}: required field is missing")
    if kind == "string_pattern_mismatch" and yaml_path and yaml_path[-1] in keyword.kwlist:
        return ClaimFileError(
            where, f"{field}: {yaml_path[-1]!r} is a Python keyword", "rename it (e.g. lam)"
        )
    if kind in ("too_long", "string_too_long") and isinstance(error.get("input"), str):
        limit = (error.get("ctx") or {}).get("max_length", "?")
        text = f"{field}: {len(error['input'])} characters; the limit is {limit}"
        return ClaimFileError(where, text, "split it with where: definitions")
    if kind == "too_long" and isinstance(error.get("input"), list | dict):
        limit = (error.get("ctx") or {}).get("max_length", "?")
        what = "must-fail variants" if yaml_path == ("must_fail",) else "entries"
        return ClaimFileError(where, f"{field}: {len(error['input'])} {what}; the limit is {limit}")
    value = _short(error.get("input"))
    message = error["msg"].removeprefix("Value error, ")
    return ClaimFileError(where, f"{field}: {message} (got {value})", _hint(kind, yaml_path))


def _distinct(problems: list[ClaimFileError]) -> list[ClaimFileError]:
    """One problem per place: a union reports each failed alternative separately."""
    seen: set[str] = set()
    kept = []
    for problem in problems:
        place = f"{problem.location}:{problem.message.split(':', 1)[0]}"
        if place not in seen:
            seen.add(place)
            kept.append(problem)
    return kept


def _hint(kind: str, path: tuple[Any, ...]) -> str:
    if kind == "union_tag_invalid":
        return "rule is one of: close, interval, scaling, bound, fit, rate"
    if path and path[0] == "id":
        return "ids look like paper-slug/claim-name, lower case"
    if path and path[-1] == "arxiv":
        return 'quote arXiv ids: arxiv: "1312.6120"'
    return ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _yaml_path(loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[type[BaseModel]]]:
    """Drop pydantic's union tags from an error location; note the models walked through."""
    path: list[Any] = []
    models: list[type[BaseModel]] = [Claim]
    annotation: Any = Claim
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            models.append(annotation)
            field = annotation.model_fields.get(str(part))
            path.append(part)
            annotation = field.annotation if field else None
        elif _is_union_of_models(annotation):
            options = {m.model_fields["rule"].annotation.__args__[0]: m for m in _args(annotation)}
            annotation = options.get(part)
        elif _is_union(annotation) and isinstance(part, str):
            continue  # pydantic names the failed alternative (int, float): not a YAML key
        else:
            path.append(part)
            args = _args(annotation)
            annotation = args[-1] if args else None
    return tuple(path), [m for m in models if m is not Claim] or [Claim]


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in _args(annotation) if a is not type(None)]
    if _is_union(annotation) and len(args) == 1:
        return _unwrap(args[0])
    return annotation


def _args(annotation: Any) -> tuple[Any, ...]:
    return tuple(_unwrap(a) for a in typing.get_args(annotation))


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _is_union_of_models(annotation: Any) -> bool:
    return _is_union(annotation) and all(
        isinstance(a, type) and issubclass(a, BaseModel) and "rule" in a.model_fields
        for a in _args(annotation)
    )


# --------------------------------------------------------------------------- cross-field checks


def _cross_checks(claim: Claim, located: Located) -> list[ClaimFileError]:
    problems: list[ClaimFileError] = []

    def problem(path: tuple[Any, ...], message: str, hint: str = "") -> None:
        field = ".".join(str(p) for p in path)
        problems.append(ClaimFileError(located.where(path), f"{field}: {message}", hint))

    _check_unique(problem, "hypotheses", [h.name for h in claim.hypotheses])
    _check_unique(problem, "must_fail", [v.name for v in claim.must_fail])
    for name in claim.symbols:
        if keyword.iskeyword(name):
            problem(("symbols", name), f"{name!r} is a Python keyword", "rename it (e.g. lam)")
    hypothesis_names = {h.name for h in claim.hypotheses}
    for i, variant in enumerate(claim.must_fail):
        for j, broken in enumerate(variant.violates):
            if broken not in hypothesis_names:
                close = difflib.get_close_matches(broken, sorted(hypothesis_names), n=1)
                hint = f"did you mean {close[0]!r}?" if close else "name a hypothesis of this claim"
                problem(("must_fail", i, "violates", j), f"no hypothesis named {broken!r}", hint)
        if variant.agreement:
            try:
                variant_agreement(claim, variant)
            except pydantic.ValidationError as exc:
                first = exc.errors()[0]
                problem(("must_fail", i, "agreement"), first["msg"], "keys of the claim's rule")
    _check_points(problem, claim)
    return problems


def _check_points(problem: Any, claim: Claim) -> None:
    """Bound the sweep points lint plans: each check's, and all of them together."""
    total = _points(claim.sweep)
    if total > MAX_SWEEP_POINTS:
        problem(("sweep",), f"{total} sweep points; the limit is {MAX_SWEEP_POINTS}")
    for i, variant in enumerate(claim.must_fail):
        points = _points({**claim.sweep, **variant.sweep})
        total += points
        if points > MAX_SWEEP_POINTS and variant.sweep:
            problem(("must_fail", i, "sweep"),
                    f"{points} sweep points; the limit is {MAX_SWEEP_POINTS}")  # fmt: skip
    if total > MAX_TOTAL_SWEEP_POINTS:
        problem(("must_fail",), f"{total} sweep points in the claim and its variants together; "
                f"the limit is {MAX_TOTAL_SWEEP_POINTS}", "fewer variants, or smaller sweeps")  # fmt: skip


def _points(sweep: dict[str, list[Any]]) -> int:
    points = 1
    for values in sweep.values():
        points *= len(values)
    return points


def _check_unique(problem: Any, field: str, names: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            problem((field, i, "name"), f"duplicate name {name!r}")
        seen.add(name)
