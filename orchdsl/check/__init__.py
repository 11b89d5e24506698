"""Checking a parsed file: the linter and its rules (``rules/``, one small unit per code)."""
