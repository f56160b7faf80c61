"""divides: digital divides and good governance, from published files to notebooks."""

__version__ = "0.1.0"
