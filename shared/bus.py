"""The embedded broker: kombu's filesystem transport, made safe for several processes.

kombu's ``filesystem://`` keeps exchange bindings in files, so topic routing
works across processes. Its writer, though, creates the message file first and
fills it afterwards, so a reader in another process can take the file while it
is still empty: the reader fails to decode it and the message is lost. Here a
message is written under a name no reader matches and renamed into place once
complete (a rename is atomic on one filesystem), and a reader claims a file by
renaming it inside the bus folder, so two consumers never take the same one.
"""
from __future__ import annotations

import logging
import os
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger("zhibu.bus")


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".partial-{uuid.uuid4()}")
        try:
            with open(partial, "wb") as fh:
                fh.write(str_to_bytes(dumps(payload)))
                fh.flush()
                os.fsync(fh.fileno())
            os.rename(partial, final)
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


class Transport(filesystem.Transport):
    Channel = Channel
