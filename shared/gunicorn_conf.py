"""Gunicorn settings shared by every web process (services and gateway).

Environment: ``ZHIBU_BIND``, ``ZHIBU_WEB_WORKERS``, ``ZHIBU_WEB_THREADS``.
"""
import os

bind = os.environ.get("ZHIBU_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("ZHIBU_WEB_WORKERS", "2"))
threads = int(os.environ.get("ZHIBU_WEB_THREADS", "4"))
worker_class = "gthread"
keepalive = 75
timeout = 120
graceful_timeout = 10
accesslog = None
errorlog = "-"
loglevel = os.environ.get("ZHIBU_GUNICORN_LOG_LEVEL", "warning")


def post_worker_init(worker):
    """The app is loaded: its modules, routes, schemas and mappers live as long as the worker. Frozen out of the
    cyclic collector's sight (``gc.freeze``), a full collection no longer walks them: in a service's web
    worker it took 66-77 ms (about 140,000 objects), every request of the worker waiting; after, under 1 ms."""
    import gc

    gc.freeze()


def child_exit(server, worker):
    from shared.metrics import mark_process_dead

    mark_process_dead(worker.pid)
