"""Orders: their states, how they are found (filters, paging, search) and shown."""
