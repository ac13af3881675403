"""The publisher: the static site (tiles, JSON pages, HTML), built from its own sealed
read model."""
