"""Registrum: registry and classified-document control."""

__version__ = "0.1.0"
