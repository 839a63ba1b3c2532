"""checker: hold the closed-form claims of ML-theory papers against JAX measurements."""
