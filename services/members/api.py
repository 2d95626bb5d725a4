"""The members service's HTTP API: parse, call the domain, dump. No rules here."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.app import require
from shared.http import idempotent, with_etag

from . import people
from .schemas import PersonIn, PersonListArgs, PersonOut, PersonPage

blp = Blueprint("people", __name__, url_prefix="/api/members/v1", description="People and membership")

WRITERS = ("admin", "organizer", "secretary", "integration")


@blp.route("/people")
class People(MethodView):
    @blp.arguments(PersonListArgs, location="query")
    @blp.response(200, PersonPage)
    def get(self, args):
        """List people in the caller's subtree (or under ``under``)."""
        return people.list_people(args)

    @idempotent
    @blp.arguments(PersonIn)
    @blp.response(201, PersonOut)
    def post(self, fields):
        """Register a person in a unit the members service knows from org events."""
        require(*WRITERS)
        return with_etag(people.create(fields))


@blp.route("/people/<uuid:person_id>")
class PersonItem(MethodView):
    @blp.response(200, PersonOut)
    def get(self, person_id):
        """One person; 404 outside the caller's subtree."""
        return with_etag(people.get_in_scope(person_id))
