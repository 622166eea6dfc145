"""Cart connectors: one module per cart kind, behind the protocol in ``protocol.py``."""
