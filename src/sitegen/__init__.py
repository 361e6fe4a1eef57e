"""sitegen: a static site generator for literature surveys."""

__version__ = "0.1.0"
