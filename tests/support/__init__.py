"""Helpers shared by the tests (import as ``from support.processes import ...``)."""
