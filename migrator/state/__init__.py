"""The job database: every SQL statement lives here."""
