"""`python -m lab.services.backend`: uvicorn on $HOST:$PORT (default 0.0.0.0:8000), timestamped logs."""

from lab.services.common import run_uvicorn

if __name__ == "__main__":
    run_uvicorn("lab.services.backend.main:app", 8000)
