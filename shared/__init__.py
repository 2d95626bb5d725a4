"""The kit every Zhibu service stands on: config, database, events, auth, errors, logging.

No domain logic lives here: the regulations are in each service's ``rules.py``.
"""
