"""The org service's HTTP API: parse, call the domain, dump. No rules here."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.app import require
from shared.http import idempotent, with_etag

from . import units
from .schemas import UnitIn, UnitListArgs, UnitOut, UnitPage

blp = Blueprint("units", __name__, url_prefix="/api/org/v1", description="Org units: the organization tree")

WRITERS = ("admin", "organizer", "integration")


@blp.route("/units")
class Units(MethodView):
    @blp.arguments(UnitListArgs, location="query")
    @blp.response(200, UnitPage)
    def get(self, args):
        """List units in the caller's subtree (or under ``under``), in tree order."""
        return units.list_units(args)

    @idempotent
    @blp.arguments(UnitIn)
    @blp.response(201, UnitOut)
    def post(self, fields):
        """Create a unit under a parent; the kinds must nest legally (ORG.UNIT_NESTING)."""
        require(*WRITERS)
        return with_etag(units.create(fields))


@blp.route("/units/<uuid:unit_id>")
class UnitItem(MethodView):
    @blp.response(200, UnitOut)
    def get(self, unit_id):
        """One unit; 404 outside the caller's subtree."""
        return with_etag(units.get_in_scope(unit_id))
