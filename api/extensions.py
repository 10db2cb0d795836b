"""The flask-smorest Api object, created unbound and documented with our error shape."""

from __future__ import annotations

from flask_smorest import Api

from api.schemas import ApiErrorSchema


class DispatchApi(Api):
    """Api whose documented error responses carry our stable ``error`` code."""

    ERROR_SCHEMA = ApiErrorSchema


api = DispatchApi()
