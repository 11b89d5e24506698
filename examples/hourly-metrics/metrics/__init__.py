"""Metric rollups for the hourly-metrics example; `compute.summarize` is its `call` task."""
