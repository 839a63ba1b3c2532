"""Regenerate the bad-input corpus: `python tests/bad_claims/make_corpus.py` (files are committed).

Each file breaks one valid claim in one way; EXPECTED.txt pairs it with a fragment of
the error `checker lint` must print. Hand-edit EXPECTED.txt only with the generator.
"""

from pathlib import Path

OUT = Path(__file__).parent
BASE = """\
id: corpus/base
title: A valid claim the corpus breaks one way at a time
source:
  title: Kernel Methods for Deep Learning
  authors: [Youngmin Cho, Lawrence K. Saul]
  year: 2009
  where: Sec. 2
statement: The ReLU NNGP kernel is the arc-cosine kernel.
symbols:
  theta: {domain: nonnegative, doc: angle}
hypotheses:
  - name: gaussian-weights
    observe: Abs(weight_kurtosis - 3) < 0.1
prediction:
  expr: (sin(theta) + (pi - theta)*cos(theta))/pi
  target: K
measurement:
  name: kernels.relu_nngp
  params: {dim: 16, width: 1024}
  seeds: 4
sweep:
  theta: [0.5, 1.0]
agreement: {rule: close, atol: 0.05}
must_fail:
  - name: half
    prediction: {expr: (sin(theta) + (pi - theta)*cos(theta))/(2*pi)}
"""
EXPR = "  expr: (sin(theta) + (pi - theta)*cos(theta))/pi\n"


def sub(old, new, count=1):
    assert old in BASE, old
    return BASE.replace(old, new, count)


def expr(text):
    return sub(EXPR, f"  expr: {text}\n")


cases = {
    # YAML level
    "yaml-tab-indent": (sub("  title: Kernel", "\ttitle: Kernel"), "tab"),
    "yaml-unclosed-bracket": (sub("theta: [0.5, 1.0]", "theta: [0.5, 1.0"), "expected ',' or ']'"),
    "yaml-duplicate-key": (sub("seeds: 4\n", "seeds: 4\n  seeds: 5\n"), "duplicate key"),
    "yaml-anchor-alias": (
        sub("  theta: [0.5, 1.0]", "  theta: &a [0.5, 1.0]\n  other: *a"),
        "alias",
    ),
    "yaml-billion-laughs": (
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
        "alias",
    ),
    "yaml-merge-key": (
        sub("  params: {dim: 16, width: 1024}", "  params: {<<: {dim: 16}, width: 1024}"),
        "merge",
    ),
    "yaml-not-a-mapping": ("- just\n- a\n- list\n", "mapping"),
    "yaml-scalar-document": ("just a string\n", "mapping"),
    "yaml-two-documents": (BASE + "---\n" + BASE, "document"),
    "yaml-python-tag": (
        sub("title: A valid", "title: !!python/object/apply:os.system ['touch pwned']\n# A valid"),
        "tag",
    ),
    "yaml-deep-nesting": ("x: " + "[" * 200 + "]" * 200 + "\n", "nest"),
    # schema level
    "schema-missing-prediction": (
        BASE.replace("prediction:\n" + EXPR + "  target: K\n", ""),
        "prediction: required field is missing",
    ),
    "schema-missing-must-fail": (
        BASE.split("must_fail:")[0],
        "must_fail: required field is missing",
    ),
    "schema-empty-must-fail": (BASE.split("must_fail:")[0] + "must_fail: []\n", "must_fail"),
    "schema-unknown-key": (
        sub("statement:", "statment: typo\nstatement:"),
        "did you mean 'statement'",
    ),
    "schema-wrong-type-seeds": (sub("seeds: 4", "seeds: many"), "measurement.seeds"),
    "schema-seeds-zero": (sub("seeds: 4", "seeds: 0"), "measurement.seeds"),
    "schema-year-string": (sub("year: 2009", "year: last year"), "source.year"),
    "schema-bad-rule": (sub("rule: close", "rule: closest"), "rule is one of"),
    "schema-bad-id": (sub("id: corpus/base", "id: Not An Id"), "ids look like"),
    "schema-arxiv-number": (
        sub("  where: Sec. 2", "  arxiv: 1312.6120\n  where: Sec. 2"),
        "quote arXiv ids",
    ),
    "schema-keyword-symbol": (
        sub(
            "  theta: {domain: nonnegative, doc: angle}",
            "  theta: {domain: nonnegative, doc: angle}\n  lambda: {domain: positive}",
        ),
        "Python keyword",
    ),
    "schema-bad-domain": (sub("domain: nonnegative", "domain: complex"), "symbols.theta.domain"),
    "schema-hypothesis-both": (
        sub(
            "    observe: Abs(weight_kurtosis - 3) < 0.1",
            "    observe: Abs(weight_kurtosis - 3) < 0.1\n    require: theta > 0",
        ),
        "exactly one of",
    ),
    "schema-violates-unknown": (
        sub("  - name: half\n", "  - name: half\n    violates: [gaussian-weight]\n"),
        "did you mean 'gaussian-weights'",
    ),
    "schema-duplicate-variant": (
        BASE + "  - name: half\n    prediction: {expr: theta}\n",
        "duplicate name 'half'",
    ),
    "schema-two-forms": (
        sub("  target: K\n", "  target: K\n  root_of: {expr: x, unknown: x, bracket: [0, 1]}\n"),
        "exactly one of",
    ),
    "schema-sweep-too-big": (
        sub(
            "  theta: [0.5, 1.0]",
            "  theta: ["
            + ", ".join(str(i / 1000) for i in range(1000))
            + "]\n  dim: ["
            + ", ".join(str(i) for i in range(2, 40))
            + "]",
        ),
        "the limit is",
    ),
    "schema-bool-tolerance": (sub("atol: 0.05", "atol: true"), "not a boolean"),
    # expression level
    "expr-unbound-symbol": (expr("(sin(theta) + phi)/pi"), "'phi'"),
    "expr-unknown-function": (expr("besselj(0, theta)"), "besselj"),
    "expr-injection-import": (expr("__import__('os').system('touch pwned')"), "expr"),
    "expr-injection-attribute": (expr("theta.__class__.__mro__"), "attribute"),
    "expr-injection-lambda": (expr('"(lambda: 1)()"'), "not allowed"),
    "expr-injection-comprehension": (expr('"[x for x in (1, 2)]"'), "not allowed"),
    "expr-injection-in-tolerance": (
        sub("atol: 0.05", "atol: \"__import__('os').system('touch pwned')\""),
        "agreement.atol",
    ),
    "expr-injection-in-require": (
        sub(
            "    observe: Abs(weight_kurtosis - 3) < 0.1",
            '    require: exec(\'open("pwned", "w")\')',
        ),
        "hypotheses.0.require",
    ),
    "expr-injection-in-where": (
        sub("  target: K\n", "  target: K\n  where: {c: \"eval('1')\"}\n"),
        "prediction.where.c",
    ),
    "expr-injection-in-variant": (
        sub(
            "    prediction: {expr: (sin(theta) + (pi - theta)*cos(theta))/(2*pi)}",
            '    prediction: {expr: "globals()"}',
        ),
        "must_fail.0.prediction.expr",
    ),
    "expr-exponent-tower": (expr("theta**9**9**9**9"), "expr"),
    "expr-huge-literal": (expr("1" + "0" * 400 + "*theta"), "expr"),
    "expr-deep-nesting": (expr("sin(" * 150 + "theta" + ")" * 150), "deep"),
    "expr-overlong": (expr("+".join(["theta"] * 500)), "characters"),
    "expr-syntax-error": (expr("(theta +"), "expr"),
    "expr-string-literal": (expr("\"'theta'\""), "is not a number"),
    "expr-subscript": (expr("theta[0]"), "expr"),
    # plan level
    "plan-unknown-measurement": (
        sub("name: kernels.relu_nngp", "name: kernels.relu_nngg"),
        "did you mean 'kernels.relu_nngp'",
    ),
    "plan-module-path-measurement": (
        sub("name: kernels.relu_nngp", "name: os.system"),
        "unknown measurement",
    ),
    "plan-unknown-param": (
        sub("params: {dim: 16, width: 1024}", "params: {dim: 16, widht: 1024}"),
        "did you mean 'width'",
    ),
    "plan-bad-param-value": (
        sub("params: {dim: 16, width: 1024}", "params: {dim: 1, width: 1024}"),
        "measurement.params.dim",
    ),
    "plan-unknown-target": (sub("  target: K\n", "  target: kernel\n"), "not an output"),
    "plan-domain-violated": (
        sub("theta: [0.5, 1.0]", "theta: [-0.5, 1.0]"),
        "outside the domain nonnegative",
    ),
    "plan-scaling-variable-not-swept": (
        sub(
            "agreement: {rule: close, atol: 0.05}",
            "agreement: {rule: scaling, variable: width, tol: 0.1}",
        ),
        "not swept",
    ),
    # bounded work: numbers, where: helpers and sweeps whose size would stall lint
    "bound-number-in-function": (expr('"theta + sin(E**(10**29))"'), "beyond 1e+300"),
    "bound-number-product": (expr("theta*" + "*".join(["10**29"] * 11)), "beyond 1e+300"),
    "bound-exact-power-product": (expr("theta/((10**29)**6*(10**29)**6)"), "beyond 1e+300"),
    "bound-number-through-where": (
        sub(EXPR, "  expr: theta + sin(E**h)\n  where: {h: 10**29}\n"),
        "beyond 1e+300",
    ),
    "bound-where-cycle": (
        sub(EXPR, "  expr: theta + a\n  where: {a: b + 1, b: a + 1}\n"),
        "a -> b -> a",
    ),
    "bound-where-chain": (
        sub(
            EXPR,
            "  expr: theta + h0\n  where:\n"
            + "".join(f"    h{i}: h{i + 1}*h{i + 1} + h{i + 1}\n" for i in range(40))
            + "    h40: theta\n",
        ),
        "once where: helpers are substituted",
    ),
    "bound-where-deep-chain": (
        sub(
            EXPR,
            "  expr: theta + h0\n  where:\n"
            + "".join(f"    h{i}: sin(sin(h{i + 1}))\n" for i in range(60))
            + "    h60: theta\n",
        ),
        "levels deep once where: helpers are substituted; the limit is 100",
    ),
    "bound-where-too-many": (
        sub(
            EXPR,
            "  expr: theta + h0\n  where:\n"
            + "".join(f"    h{i}: h{i + 1} + 1\n" for i in range(100))
            + "    h100: theta\n",
        ),
        "prediction.where: 101 entries; the limit is 100",
    ),
    "bound-where-rebinds-swept": (
        sub(EXPR, EXPR + "  where: {theta: 2*pi}\n"),
        "where.theta: 'theta' is swept",
    ),
    "bound-variant-sweep": (
        BASE
        + "  - name: big\n    sweep: {theta: ["
        + ", ".join(str(i / 1000) for i in range(1000))
        + "], dim: ["
        + ", ".join(str(i) for i in range(2, 1002))
        + "]}\n",
        "must_fail.1.sweep: 1000000 sweep points; the limit is",
    ),
    "bound-too-many-variants": (
        BASE + "".join(f"  - name: v{i}\n    params: {{dim: {i + 2}}}\n" for i in range(100)),
        "must_fail: 101 must-fail variants; the limit is 64",
    ),
    "bound-variants-times-points": (
        BASE
        + "".join(
            f"  - name: v{i}\n    sweep: {{theta: ["
            + ", ".join(str(j / 100) for j in range(100))
            + f"], dim: [{', '.join(str(j) for j in range(2, 92))}]}}\n"
            for i in range(20)
        ),
        "sweep points in the claim and its variants together; the limit is",
    ),
    "bound-yaml-hex-int": (
        sub("params: {dim: 16, width: 1024}", "params: {dim: 16, width: 0x" + "f" * 5000 + "}"),
        "measurement.params.width: an integer of",
    ),
    "bound-yaml-long-int": (
        sub("atol: 0.05", "atol: " + "9" * 5000),
        "agreement.atol: an integer of",
    ),
    "bound-yaml-sexagesimal-int": (
        sub(
            "params: {dim: 16, width: 1024}",
            "params: {dim: 16, width: " + ":".join(["59"] * 2000) + "}",
        ),
        "measurement.params.width: an integer of",
    ),
    "bound-yaml-int-key": (
        sub("params: {dim: 16, width: 1024}", "params: {dim: 16, ? " + "7" * 5000 + ": 1}"),
        "measurement.params: an integer of",
    ),
    "bound-yaml-int-in-sweep": (
        sub("theta: [0.5, 1.0]", "theta: [0.5, " + "9" * 400 + "]"),
        "sweep.theta.1: an integer of",
    ),
}

for name, (text, _) in cases.items():
    (OUT / f"{name}.yaml").write_text(text)
(OUT / "bytes-not-utf8.yaml").write_bytes(BASE.encode().replace(b"angle", b"\xff\xfe angle"))
(OUT / "bytes-empty.yaml").write_bytes(b"")
(OUT / "bytes-nul.yaml").write_bytes(BASE.encode().replace(b"angle", b"an\x00gle"))
(OUT / "bytes-too-large.yaml").write_text(BASE + "# " + "x" * 300_000 + "\n")
lines = [f"{name}.yaml: {exp}" for name, (_, exp) in cases.items()]
lines += [
    "bytes-not-utf8.yaml: UTF-8",
    "bytes-empty.yaml: empty",
    "bytes-nul.yaml: control character U+0000",
    "bytes-too-large.yaml: claim files are limited to",
]
(OUT / "EXPECTED.txt").write_text(
    "# file: a fragment of the error message checker lint must print\n" + "\n".join(lines) + "\n"
)
print(len(lines))
