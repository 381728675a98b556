"""The report: its sections, how each page opens, tables, text and figures, execution and the site build."""
