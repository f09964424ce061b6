"""`python -m lab.services.auth`: uvicorn on $HOST:$PORT (default 0.0.0.0:9999)."""

from lab.services.common import run_uvicorn

if __name__ == "__main__":
    run_uvicorn("lab.services.auth.main:app", 9999)
