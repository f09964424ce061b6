"""pms-backend configuration, read once from the environment (contract §1.3)."""

from __future__ import annotations

from dataclasses import dataclass

from lab.services.common import Env, env_bool, env_float, env_int, env_str, normalize_database_url


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    redis_url: str | None
    celery_broker_url: str | None
    celery_result_backend: str | None
    jwt_secret: str | None
    jwt_audience: str
    enable_redis_healthcheck: bool
    enable_celery_healthcheck: bool
    source_commit: str | None
    environment: str
    sync_log_stale_minutes: int
    db_startup_max_wait_seconds: float
    db_startup_retry_interval_seconds: float
    db_background_reconnect_enabled: bool
    db_background_reconnect_interval_seconds: float
    db_pool_max_idle: int
    db_connect_timeout_seconds: float
    ready_db_timeout_seconds: float
    ready_redis_timeout_seconds: float
    celery_inspect_timeout_seconds: float
    ready_deadline_seconds: float

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        url = env_str("DATABASE_URL", None, env)
        redis_url = env_str("REDIS_URL", None, env)
        broker = env_str("CELERY_BROKER_URL", None, env) or redis_url
        return cls(
            database_url=normalize_database_url(url) if url else None,
            redis_url=redis_url,
            celery_broker_url=broker,
            celery_result_backend=env_str("CELERY_RESULT_BACKEND", None, env) or broker,
            jwt_secret=env_str("JWT_SECRET", None, env),
            jwt_audience=env_str("JWT_AUDIENCE", "authenticated", env),
            enable_redis_healthcheck=env_bool("ENABLE_REDIS_HEALTHCHECK", True, env),
            enable_celery_healthcheck=env_bool("ENABLE_CELERY_HEALTHCHECK", True, env),
            source_commit=env_str("SOURCE_COMMIT", None, env),
            # PROD showed "development" while ENVIRONMENT was unset (contract §1.3).
            environment=env_str("ENVIRONMENT", "development", env),
            sync_log_stale_minutes=env_int("SYNC_LOG_STALE_MINUTES", 60, env),
            db_startup_max_wait_seconds=env_float("DB_STARTUP_MAX_WAIT_SECONDS", 60, env),
            db_startup_retry_interval_seconds=env_float("DB_STARTUP_RETRY_INTERVAL_SECONDS", 2, env),
            db_background_reconnect_enabled=env_bool("DB_BACKGROUND_RECONNECT_ENABLED", True, env),
            db_background_reconnect_interval_seconds=env_float(
                "DB_BACKGROUND_RECONNECT_INTERVAL_SECONDS", 30, env
            ),
            db_pool_max_idle=env_int("DB_POOL_MAX_IDLE", 10, env),
            db_connect_timeout_seconds=env_float("DB_CONNECT_TIMEOUT_SECONDS", 5, env),
            ready_db_timeout_seconds=env_float("READY_DB_TIMEOUT_SECONDS", 2, env),
            ready_redis_timeout_seconds=env_float("READY_REDIS_TIMEOUT_SECONDS", 1, env),
            celery_inspect_timeout_seconds=env_float("CELERY_INSPECT_TIMEOUT_SECONDS", 1.0, env),
            ready_deadline_seconds=env_float("READY_DEADLINE_SECONDS", 2.5, env),
        )
