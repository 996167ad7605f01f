"""What the CLI runs: one module per command, plus the end-of-run summary and notifications."""
