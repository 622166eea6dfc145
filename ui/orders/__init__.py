"""The order list (state, lazy model, view, filter bar) and the order detail pane."""
