"""The pure rules of the read side: claim states, the value in force, discrepancy
groups, regressions and the periods a query names."""
