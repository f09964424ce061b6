"""The lab's PMS services. Each runs in its own container, configured only by environment variables."""
