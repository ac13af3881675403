"""Evidence: archived documents, their normalised text, and quotes anchored in it."""
