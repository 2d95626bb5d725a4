"""Events the evaluation service publishes."""
from marshmallow import Schema, fields, validate  # noqa: F401

from . import event  # noqa: F401
