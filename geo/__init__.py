"""Geometry helpers with no knowledge of the database, the web or settings."""
