"""The `tally` command: parses arguments, calls the ledger and read-model APIs, renders."""
