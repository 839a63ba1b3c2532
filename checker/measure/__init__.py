"""Measurements: registered per-seed JAX functions, one module per topic.

Importing this package does not import JAX: built-in modules load it lazily,
so `checker lint` can inspect parameters and outputs without paying for it.
"""

from checker.measure.registry import (
    Measurement,
    MeasurementError,
    get_measurement,
    load_plugins,
    measurement,
    registered_measurements,
)

__all__ = [
    "Measurement",
    "MeasurementError",
    "get_measurement",
    "load_plugins",
    "measurement",
    "registered_measurements",
]
