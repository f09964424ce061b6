"""Supabase-compatible auth gateway (GoTrue behind Kong, as far as the runbook sees it)."""
