"""`pytest claims/`: every claim file is a test item (pytest's pattern for non-Python tests).

For groups whose CI already speaks pytest: each YAML file under a folder named
`claims` is collected, one item per claim; a claim that is not verified fails
with its file and line, the agreement figures and the command that
reproduces it. Registered through the `pytest11` entry point, so installing
checker is enough; `-p no:checker` turns it off.

Plugins are named by the pyproject.toml of the folder pytest runs from, as for
the `checker` command: a pyproject.toml inside the claims folder, which a pull
request could add, names nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.results import master_seed

__all__ = ["ClaimItem", "ClaimYamlFile", "pytest_collect_file"]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and "claims" in file_path.parent.parts:
        return ClaimYamlFile.from_parent(parent, path=file_path)
    return None


class ClaimFailed(Exception):
    """The claim was not verified (or its file is invalid); the text says why and where."""


class ClaimYamlFile(pytest.File):
    def collect(self) -> Iterator[ClaimItem]:
        from checker.measure import load_plugins
        from checker.spec import validate_file

        load_plugins(self.config.invocation_params.dir)
        loaded = validate_file(self.path)
        name = loaded.claim.id if not isinstance(loaded, list) else self.path.stem
        yield ClaimItem.from_parent(self, name=name, loaded=loaded)


class ClaimItem(pytest.Item):
    def __init__(self, *, loaded: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded

    def runtest(self) -> None:
        from checker.plan import plan_claim
        from checker.report.ci import failure_text
        from checker.run import run_plan

        if isinstance(self.loaded, list):
            raise ClaimFailed("\n".join(map(str, self.loaded)))
        plan = plan_claim(self.loaded)
        if isinstance(plan, list):
            raise ClaimFailed("\n".join(map(str, plan)))
        seed = int(self.config.getoption("checker_seed"))
        result = run_plan(plan, seed)
        if result.verdict != "verified":
            raise ClaimFailed(failure_text(result, plan.claim_file))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ClaimFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        line = 0
        if not isinstance(self.loaded, list):
            line = self.loaded.where("prediction").line - 1
        return self.path, line, f"claim {self.name}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("checker")
    group.addoption("--checker-seed", dest="checker_seed", default=0, type=master_seed,
                    help="master seed for claims collected by checker (default 0)")  # fmt: skip
