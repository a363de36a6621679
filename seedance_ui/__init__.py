"""Seedance Studio: a prompt-crafting studio for Seedance 2.0 text-to-video."""

__version__ = "0.1.0"
