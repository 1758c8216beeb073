"""Evaluation: scoring tool calls against test sets."""
