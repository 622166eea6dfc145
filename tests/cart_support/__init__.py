"""Helpers for cart connector and sync tests: fake carts on 127.0.0.1."""
