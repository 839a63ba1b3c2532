"""`checker new` and `checker schema`: a claim file that lints clean, and the format as JSON Schema.

The scaffold is filled from the chosen measurement's own model (its params
with their defaults and descriptions, its inputs and outputs), so it lints
clean as written and every TODO is a decision only the author can make: the
source, the formula, the tolerance, a must-fail variant that is really wrong.
"""

from __future__ import annotations

import json
import re

from checker.measure.registry import Measurement
from checker.plan import input_defaults
from checker.spec import Claim

__all__ = ["ID_PATTERN", "claim_schema", "scaffold_claim"]

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*/[a-z0-9][a-z0-9_.-]*$")


def claim_schema() -> str:
    """JSON Schema (draft 2020-12) of a claim file, for editors' completion and validation."""
    schema = Claim.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "checker claim"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def scaffold_claim(claim_id: str, measurement: Measurement) -> str:
    """YAML text of a claim using `measurement` that lints clean, with TODOs to fill."""
    defaults = input_defaults(measurement)
    sweep = {name: [float(defaults.get(name, 1.0))] for name in measurement.inputs}
    params = "\n".join(
        f"#   {name}: {field.default!r}  # {field.description or ''}".rstrip()
        for name, field in measurement.params.model_fields.items()
    )
    symbols = "\n".join(f"  {name}: {{domain: real, doc: TODO}}" for name in sweep)
    sweep_text = "\n".join(f"  {name}: {values}" for name, values in sweep.items())
    target = measurement.outputs[0]
    return f"""\
# yaml-language-server: $schema=../schema.json
id: {claim_id}
title: TODO one line saying what the paper claims
source:
  title: TODO the paper's title
  authors: [TODO First Author]
  year: 2024
  # arxiv: "NNNN.NNNNN"
  where: TODO the equation, theorem or section (e.g. "Theorem 2, Eq. (7)")
statement: >
  TODO the claim in plain words, with its conditions.
symbols:
{symbols or "  {}"}
hypotheses: []  # TODO require: on parameters, observe: on measured outputs
prediction:
  expr: "1"  # TODO the closed form, in the declared symbols
  target: {target}  # outputs of {measurement.name}: {", ".join(measurement.outputs)}
measurement:
  name: {measurement.name}
  params: {{}}  # defaults of {measurement.name}:
{params}
  seeds: 8
sweep:
{sweep_text or "  {}"}
agreement: {{rule: close, atol: 0.01}}  # TODO a rule and a calibrated tolerance
must_fail:
  - name: todo-wrong-factor
    why: TODO a plausible wrong formula that the check must reject
    prediction: {{expr: "2"}}
"""
