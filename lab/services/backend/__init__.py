"""pms-backend: the FastAPI backend (health, version, auth, channel manager)."""
