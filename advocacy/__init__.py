"""advocacy: personalised letters asking US cities to end sister-city ties with Russian cities."""

__version__ = "0.1.0"
