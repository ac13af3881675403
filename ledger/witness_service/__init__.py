"""A C2SP tlog witness: it cosigns a log's checkpoint only if it is consistent with every
checkpoint of that log it cosigned before (see docs/witnessing.md)."""
