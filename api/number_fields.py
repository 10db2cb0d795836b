"""Number fields that take only plain decimals from text (see dispatch.numbers).

JSON numbers pass as before; a number sent as text (every query and form value, or a JSON
string) must be ASCII digits, a sign and a decimal point, as Open311's parameters must.
"""

from __future__ import annotations

from marshmallow import fields

from dispatch.numbers import is_plain_decimal, is_plain_integer


class DecimalFloat(fields.Float):
    """A float whose text form is a plain decimal (no ``3_7.5``, ``１２７`` or ``1e3``)."""

    def _validated(self, value):
        if isinstance(value, str) and not is_plain_decimal(value):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class DecimalInteger(fields.Integer):
    """An integer whose text form is plain ASCII digits (no ``1_000`` or ``１００``)."""

    def _validated(self, value):
        if isinstance(value, str) and not is_plain_integer(value):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)
