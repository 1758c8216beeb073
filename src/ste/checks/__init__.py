"""Checks of a finished trial: whether it is a right example to learn from, each verdict
with its reason. Exploration and distillation both use them."""
