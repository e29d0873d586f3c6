"""CLI command functions, one module per command; robustx.cli registers them (imports stay light)."""
