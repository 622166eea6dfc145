"""Stack Controller Status window (Ctrl+Shift+S), the status bar line, and the in-app controller."""
