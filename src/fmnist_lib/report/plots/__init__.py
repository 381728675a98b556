"""The report's figures, one module per page family; each function returns a matplotlib Figure."""
