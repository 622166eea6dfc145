"""Sync Status window (Ctrl+Shift+Y), Sync Now, and the scheduler that syncs each cart on its
interval."""
