"""Hechtingsassistent library."""
