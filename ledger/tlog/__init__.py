"""The published log: its tiles as we write them, and the client that fetches, checks,
mirrors and monitors a published site."""
