"""Helpers for the stack controller tests: a cart server on 127.0.0.1 and record seeding."""
