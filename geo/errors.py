"""Errors raised by the geo library."""


class InvalidGeometry(ValueError):
    """A coordinate or geometry that cannot be used (out of range, not finite, no area)."""
