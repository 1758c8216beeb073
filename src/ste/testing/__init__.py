"""Helpers for testing and benchmarking ste without a real model."""
