"""The launcher: the ``zhibu`` command and the supervisor that runs the whole suite on one machine. It
sits above the kit (``shared``), the services and the demo data, and imports them; none of them imports it."""
