"""Quick Reference rows of the runbook (issue 9): what guests and agencies see."""
