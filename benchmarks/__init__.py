"""Reproducible benchmarks of tiri-tui, each reported next to a floor measured in the same run."""
