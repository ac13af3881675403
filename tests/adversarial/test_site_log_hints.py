"""An unsigned `log.json` that lists checkpoints the site does not have.

`clone` fetched the checkpoints `log.json` lists only after it had committed every
entry, and failed on a missing one: every clone of that site then failed, after all
the work. `log.json` is unsigned: what it lists is now fetched before anything is
committed, and taken as a hint (a listed checkpoint that is missing, not signed by the
operator or past the site's checkpoint is passed over).
"""

from __future__ import annotations

import json
from pathlib import Path

from hostile import operator_key, recorder


def test_checkpoints_log_json_lists_but_the_site_lacks_are_a_hint(tmp_path: Path) -> None:
    tally = recorder(tmp_path)
    site = tmp_path / "site"
    size = tally.json("publish", str(site))["size"]
    info = json.loads((site / "log.json").read_text())
    info["checkpoints"] = [2, *info["checkpoints"], size + 1, 10**12, "x"]
    (site / "log.json").write_text(json.dumps(info))
    (site / "checkpoints" / "2").write_text("not a signed checkpoint\n")
    replica = str(tmp_path / "replica.db")
    done = tally.json("--db", replica, "clone", str(site), "--operator-key",
                      operator_key(tally))
    assert done["size"] == size
    assert tally.json("--db", replica, "verify")["ok"] is True
    # and again: nothing left half done
    assert tally.json("--db", replica, "clone", str(site), "--operator-key",
                      operator_key(tally))["size"] == size
