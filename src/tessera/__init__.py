"""Tessera: a self-hosted image service."""

__version__ = "0.1.0"
