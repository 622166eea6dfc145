"""Status labels, status events, the firing rule and the default label/event sets."""
