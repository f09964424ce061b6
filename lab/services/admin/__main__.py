"""`python -m lab.services.admin`: uvicorn on $HOST:$PORT (default 0.0.0.0:3000)."""

from lab.services.common import run_uvicorn

if __name__ == "__main__":
    run_uvicorn("lab.services.admin.main:app", 3000)
