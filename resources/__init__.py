"""Files the application ships with: its icon and desktop entry (read with importlib.resources)."""
