"""Errors raised by the geo library."""


class InvalidGeometry(ValueError):
    """A coordinate or geometry that cannot be used (out of range, not finite, no area)."""


class TooManyVertices(InvalidGeometry):
    """A geometry with more coordinates than the caller accepts."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"geometry has {count} vertices; at most {limit} are accepted")
        self.count = count
        self.limit = limit
