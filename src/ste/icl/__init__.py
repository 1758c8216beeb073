"""In-context learning from STE memory: retrieved demonstrations."""

DEFAULT_K = 8  # demonstrations per query
DEFAULT_TOKEN_BUDGET = 1500  # tokens the demonstrations of one query may take
