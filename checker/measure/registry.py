"""The registry of measurements: the only way a claim's `measurement.name` reaches code.

A claim file names a measurement; it never names a module or a function. Names
resolve here, against functions that Python code registered with
`@checker.measurement`, so an untrusted claim can select among vetted
measurements but cannot make checker import or run anything else.

Registering a measurement must not import JAX: `checker lint` inspects the
registry (parameter models, outputs, inputs) and has to stay fast.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.abc
import importlib.machinery
import inspect
import pkgutil
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pydantic

__all__ = [
    "Measurement",
    "MeasurementError",
    "get_measurement",
    "load_plugins",
    "measurement",
    "registered_measurements",
]

_SUPPORT = {"registry", "nets"}  # modules of this package that register nothing
BUILTIN_MODULES = tuple(
    f"checker.measure.{m.name}"
    for m in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name)
    if m.name not in _SUPPORT and not m.name.startswith("_")
)


class MeasurementError(Exception):
    """A measurement is registered or used incorrectly (by Python code, not a claim)."""


@dataclasses.dataclass(frozen=True)
class Measurement:
    """A registered per-seed measurement and what the runner needs to know about it.

    `inputs` are the keyword-only arguments of `fn`: sweep values bound to them
    are passed as traced scalars, so one compiled function serves every sweep
    point. Sweep values bound to fields of `params` are static: each distinct
    value compiles once (use them for shapes: widths, step counts).

    `batching` says how the runner spreads one compiled function over the
    (sweep point, seed) pairs: "vmap" (one batched call) or "loop" (one call
    per pair). On CPU a loop is several times faster for measurements whose
    per-seed work is already a large matrix product (bench/perf.py, section b).
    """

    name: str
    fn: Callable[..., Mapping[str, Any]]
    params: type[pydantic.BaseModel]
    outputs: tuple[str, ...]
    inputs: tuple[str, ...]
    doc: str
    batching: Literal["vmap", "loop"] = "vmap"

    @property
    def module(self) -> str:
        return self.fn.__module__

    def source(self) -> str:
        """The source of the module that defines the measurement (a cache-key ingredient)."""
        module = inspect.getmodule(self.fn)
        try:
            return inspect.getsource(module) if module else ""
        except (OSError, TypeError):
            return ""


_REGISTRY: dict[str, Measurement] = {}
_LOADED_BUILTINS = False
BROKEN_MODULES: dict[str, str] = {}  # built-in modules that failed to import, and why


def measurement(
    name: str,
    *,
    params: type[pydantic.BaseModel],
    outputs: Iterable[str],
    batching: Literal["vmap", "loop"] = "vmap",
) -> Callable[[Callable[..., Mapping[str, Any]]], Callable[..., Mapping[str, Any]]]:
    """Register `fn(key, params, **inputs) -> {output: array}` computing ONE seed.

    The runner jits the function once and maps it over seeds and sweep points
    (`batching`: vmap, or a loop of calls); write it for a single PRNG key,
    with JAX operations only.
    """
    if batching not in ("vmap", "loop"):
        raise MeasurementError(f"measurement {name!r}: batching is 'vmap' or 'loop'")
    outputs = tuple(outputs)
    if not outputs:
        raise MeasurementError(f"measurement {name!r} declares no outputs")
    if not (isinstance(params, type) and issubclass(params, pydantic.BaseModel)):
        raise MeasurementError(f"measurement {name!r}: params must be a pydantic model class")
    params = _frozen(params)

    def register(fn: Callable[..., Mapping[str, Any]]) -> Callable[..., Mapping[str, Any]]:
        previous = _REGISTRY.get(name)
        if previous is not None and previous.fn.__qualname__ != fn.__qualname__:
            raise MeasurementError(
                f"measurement {name!r} is registered twice: by {previous.module} "
                f"and by {fn.__module__}; pick another name"
            )
        _REGISTRY[name] = Measurement(
            name=name,
            fn=fn,
            params=params,
            outputs=outputs,
            inputs=_keyword_inputs(name, fn),
            doc=inspect.getdoc(fn) or "",
            batching=batching,
        )
        return fn

    return register


def _frozen(params: type[pydantic.BaseModel]) -> type[pydantic.BaseModel]:
    """The params model, made immutable if it is not.

    Parameter values are static arguments of the compiled measurement and keys of its
    caches, so they must hash; a model written the plain pydantic way (mutable) gets a
    frozen subclass of itself, which every `isinstance` check and attribute still accepts.
    """
    if params.model_config.get("frozen"):
        return params
    config = pydantic.ConfigDict(**{**params.model_config, "frozen": True})
    frozen = type(params.__name__, (params,), {"model_config": config, "__doc__": params.__doc__})
    frozen.__module__ = params.__module__
    frozen.__qualname__ = params.__qualname__
    return frozen


def _keyword_inputs(name: str, fn: Callable[..., Any]) -> tuple[str, ...]:
    signature = inspect.signature(fn)
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(positional) != 2:
        raise MeasurementError(
            f"measurement {name!r}: expected fn(key, params, *, inputs...), got fn{signature}"
        )
    return tuple(p.name for p in signature.parameters.values() if p.kind == p.KEYWORD_ONLY)


def _load_builtins() -> None:
    global _LOADED_BUILTINS
    if not _LOADED_BUILTINS:
        _LOADED_BUILTINS = True
        for module in BUILTIN_MODULES:
            try:
                importlib.import_module(module)
            except Exception as exc:  # one broken module must not take the others down
                BROKEN_MODULES[module] = f"{type(exc).__name__}: {exc}"


class _PluginFinder(importlib.abc.MetaPathFinder):
    """Finds the plugin modules a project names, in the project's folder, and nothing else.

    Putting the folder on `sys.path` would make every file in it importable: a
    `sympy.py` or `numpy.py` added by a pull request would then run in the gate
    when checker imports its own dependencies. This finder answers only for the
    top-level names listed in `[tool.checker] plugins`; a package plugin's
    submodules are found through the package as usual.
    """

    def __init__(self) -> None:
        self.folders: dict[str, str] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        folder = self.folders.get(fullname)
        if folder is None:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [folder])


_PLUGIN_FINDER = _PluginFinder()


def load_plugins(folder: Path | None = None) -> list[str]:
    """Import the modules listed in `[tool.checker] plugins` of `folder/pyproject.toml`.

    Only modules named in configuration the user controls are imported; claim
    files cannot add to this list. A plugin is a module or package beside the
    pyproject.toml, or an installed one; nothing else in the folder becomes
    importable (see `_PluginFinder`).
    """
    folder = (folder or Path.cwd()).resolve()
    path = folder / "pyproject.toml"
    if not path.is_file():
        return []
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MeasurementError(f"{path}: cannot read [tool.checker]: {exc}") from None
    plugins = config.get("tool", {}).get("checker", {}).get("plugins", [])
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise MeasurementError(f"{path}: [tool.checker] plugins must be a list of module names")
    for module in plugins:
        _PLUGIN_FINDER.folders[module.partition(".")[0]] = str(folder)
    if plugins and _PLUGIN_FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _PLUGIN_FINDER)
    for module in plugins:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise MeasurementError(
                f"{path}: plugin module {module!r} cannot be imported: {exc}"
            ) from None
    return plugins


def registered_measurements() -> dict[str, Measurement]:
    _load_builtins()
    return dict(_REGISTRY)


def get_measurement(name: str) -> Measurement | None:
    _load_builtins()
    return _REGISTRY.get(name)
