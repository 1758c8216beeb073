"""The report's pages, one module per kind of directory: `exploration`, `dataset`, `eval` and
`experiment` (which reuses the sections of the first two for its subfolders)."""
