"""Data flows one way: spec -> expr -> measure -> agree -> run -> report -> cli."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "checker"

# Lower layers first; a module may import only its own layer or those before it.
LAYERS = [
    ["yamlio", "jsonio", "paths"],
    ["spec"],
    ["derived", "results"],
    ["expr"],
    ["compile", "latex_reader"],
    ["measure"],
    ["view"],
    ["agree"],
    ["derive"],
    ["plan"],
    ["latex"],
    ["run"],
    ["cache", "changes", "mutate", "falsify"],
    ["workers", "cluster"],
    ["verify", "scaffold"],
    ["lintcache"],
    ["report"],
    ["cli", "pytest_plugin", "__main__"],
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def _layer(module: str) -> str:
    return module.split(".")[1]


def _checker_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("checker."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("checker.")}
    return found


def _modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE]


def test_every_module_has_a_layer() -> None:
    for path in _modules():
        top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        assert top in RANK, f"{path} is in no layer; add it to LAYERS"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_it(path: Path) -> None:
    own = RANK[path.relative_to(PACKAGE).parts[0].removesuffix(".py")]
    for imported in _checker_imports(path):
        assert RANK[_layer(imported)] <= own, f"{path.name} imports {imported}, a higher layer"


def test_measurements_know_nothing_of_specs_or_reports() -> None:
    for path in (PACKAGE / "measure").glob("*.py"):
        for imported in _checker_imports(path):
            assert imported.startswith("checker.measure"), f"{path.name} imports {imported}"


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_spec_layer_loads_neither_jax_nor_sympy() -> None:
    loaded = _loaded_after("import checker.spec")
    assert "sympy" not in loaded
    assert not {m for m in loaded if m.startswith(("jax.", "jaxlib"))}


def test_lint_path_loads_no_jax() -> None:
    loaded = _loaded_after(
        "from pathlib import Path; from checker.verify import lint; "
        f"lib = lint([Path({str(PACKAGE.parent / 'claims')!r})]); assert not lib.problems"
    )
    assert not {m for m in loaded if m.startswith(("jax._src", "jaxlib"))}


def test_list_loads_neither_jax_nor_sympy_nor_scipy(tmp_path: Path) -> None:
    loaded = _loaded_after(
        "from checker.cli import main; "
        f"main(['list', {str(PACKAGE.parent / 'claims')!r}, '--markdown'])"
    )
    assert "sympy" not in loaded and "scipy" not in loaded
    assert not {m for m in loaded if m.startswith(("jax", "jaxlib"))}


def test_every_builtin_measurement_module_imports() -> None:
    from checker.measure.registry import BROKEN_MODULES, registered_measurements

    assert registered_measurements()
    assert not BROKEN_MODULES
