"""The sync cycle: orders changed in a cart since its cursor, downloaded and upserted."""
