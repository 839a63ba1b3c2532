"""Fast known-answer tests of the built-in measurements (real JAX, small sizes)."""
