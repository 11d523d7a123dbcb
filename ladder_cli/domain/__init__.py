"""The domain layer: rating systems and their evaluation as pure functions, no I/O."""
