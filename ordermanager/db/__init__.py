"""Storage: where the database is, how to connect to it, its tables and their migrations."""
