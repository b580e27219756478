"""workbench: a Jupyter workbench for facial micro-expressions."""

__version__ = "0.1.0"
