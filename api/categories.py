"""Complaint categories in the reader's language."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.context import language
from api.db import get_session
from api.presenters import category_view
from api.schemas import CategorySchema, LanguageArgsSchema
from dispatch.categories import list_categories

blp = Blueprint("categories", __name__, url_prefix="/api/v1/categories",
                description="What can be reported.")


@blp.route("")
class Categories(MethodView):
    @blp.arguments(LanguageArgsSchema, location="query")
    @blp.response(200, CategorySchema(many=True))
    def get(self, _args):
        """List complaint categories"""
        reader = language()
        return [category_view(c, reader) for c in list_categories(get_session())]
