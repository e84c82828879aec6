"""Numbered schema migrations, one module per SQL dialect."""
