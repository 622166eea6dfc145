"""Cart windows: the Shopping Cart Matrix (and, with the connectors, the Carts dialog)."""
