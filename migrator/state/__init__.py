"""The job database: every SQL statement of migrator lives in this package (`store.StateStore`)."""
