"""A witness (`tally witness serve`'s service) on a free port in a thread of the test process,
which a test can stop and start again on the same port."""

from __future__ import annotations

import threading
from pathlib import Path

from tally.ledger.witness_service.server import WitnessServer
from tally.ledger.witness_service.service import Witness


class RunningWitness:
    """A witness folder and its HTTP server in a thread of this test process."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        witness, _ = Witness.init(folder, name)
        self.vkey = witness.cosigner.vkey
        witness.close()
        self.port = 0
        self.server: WitnessServer | None = None
        self.start()

    def start(self) -> None:
        self.server = WitnessServer(Witness.open(self.folder), ("127.0.0.1", self.port))
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server.witness.close()
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
