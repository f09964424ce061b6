"""Checks in a real browser (marker `browser`): the admin UI as the runbook's person sees it."""
