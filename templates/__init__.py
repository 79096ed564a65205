"""Built-in letter templates."""
