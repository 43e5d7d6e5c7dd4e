"""Survey results: aggregates, quality checks, charts, exports and their console pages."""
