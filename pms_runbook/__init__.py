"""pms-runbook: the PMS operations runbook as executable checks."""
