"""The embedded broker: kombu's filesystem transport, made safe for several processes.

kombu's ``filesystem://`` keeps exchange bindings in files, so topic routing
works across processes. Its writer, though, creates the message file first and
fills it afterwards, so a reader in another process can take the file while it
is still empty: the reader fails to decode it and the message is lost. Here a
message is written under a name no reader matches and renamed into place once
complete (a rename is atomic on one filesystem), and a reader claims a file by
renaming it inside the bus folder, so two consumers never take the same one.

The exchange tables (which queues a topic exchange routes to) had the same
flaw: a binding process created the table file empty and filled it afterwards,
so a second worker starting at the same moment read an empty table and died,
or truncated the first one's binding away. Here a table is changed under an
exclusive lock on a lock file beside it and replaced by rename, so a reader
always sees a whole table and no binding is lost.
"""
from __future__ import annotations

import fcntl
import logging
import os
import uuid
from contextlib import contextmanager
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger("zhibu.bus")


def write_whole(folder, name: str, value) -> None:
    """``value`` as JSON in ``folder/name``, written under a hidden name and renamed into place: a reader
    sees the whole file or none (or the one it replaces)."""
    partial = os.path.join(folder, f".partial-{uuid.uuid4()}")
    with open(partial, "wb") as fh:
        fh.write(str_to_bytes(dumps(value)))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, os.path.join(folder, name))


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        try:
            write_whole(self.data_folder_out, f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg", payload)
        except OSError as exc:
            raise ChannelError(f"cannot add a message to {self.data_folder_out}") from exc

    def _get(self, queue):
        wanted = f"{queue}.msg"
        claimed_dir = self.processed_folder
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.startswith(".") or filename.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(claimed_dir, f"{filename}.{uuid.uuid4().hex}")
            try:
                os.rename(os.path.join(self.data_folder_in, filename), claimed)
            except OSError:
                continue  # another consumer took it first
            try:
                with open(claimed, "rb") as fh:
                    payload = fh.read()
            finally:
                if not self.store_processed:
                    os.remove(claimed)
            try:
                return loads(bytes_to_str(payload))
            except ValueError:
                log.error("skipped an undecodable message file %s", filename)
                continue
        raise Empty()


    @contextmanager
    def _exchange_table(self, exchange):
        """The exchange's bindings as a list to change in place; written back whole, under the lock."""
        table_file = self._exchange_file(exchange)
        self.control_folder.mkdir(parents=True, exist_ok=True)
        try:
            with open(f"{table_file}.lock", "a") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                try:
                    bindings = [filesystem.exchange_queue_t(*b) for b in loads(table_file.read_bytes())]
                except FileNotFoundError:
                    bindings = []
                before = list(bindings)
                yield bindings
                if bindings != before:
                    write_whole(self.control_folder, table_file.name, bindings)
        except OSError as exc:
            raise ChannelError(f"cannot change the bindings of {exchange!r} in {self.control_folder}") from exc

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._exchange_table(exchange) as bindings:
            if binding not in bindings:
                bindings.insert(0, binding)

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._exchange_table(exchange) as bindings:
            if binding in bindings:
                bindings.remove(binding)


class Transport(filesystem.Transport):
    Channel = Channel
