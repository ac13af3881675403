"""Assisted entry: numeric mentions in a document's text, as candidate reports to review."""
