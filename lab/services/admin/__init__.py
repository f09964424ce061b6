"""pms-admin: stand-in for the Next.js admin host (version endpoint and two pages)."""
