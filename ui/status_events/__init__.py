"""Setup windows for status labels and status events."""
