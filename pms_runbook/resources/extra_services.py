"""Extra services (quickref Q6): the billing-unit CHECK constraints, the two tables and their trigger function
(C16 L61-64, L156-164), and the API's BillingUnit enum in /openapi.json."""
from __future__ import annotations

from dataclasses import dataclass

from pms_runbook.transports.sql import query

SERVICES = "/api/v1/pricing/extra-services"
UNIT = "per_unit_night"
TABLES = ("public.extra_services", "public.property_extra_services")
CONSTRAINTS_SQL = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c
WHERE c.conname LIKE '%%billing_unit%%' ORDER BY 1, 2
"""
SCHEMA_SQL = """
SELECT to_regclass('public.extra_services') IS NOT NULL, to_regclass('public.property_extra_services') IS NOT NULL,
       EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'set_updated_at')
"""


@dataclass(frozen=True)
class BillingSchema:
    tables: dict[str, bool]
    set_updated_at: bool
    constraints: tuple[tuple[str, str, str], ...]  # (table, name, definition)

    @property
    def missing_tables(self) -> list[str]:
        return [t for t, present in self.tables.items() if not present]

    def without_unit(self) -> list[tuple[str, str, str]]:
        return [c for c in self.constraints if UNIT not in c[2]]


def billing_schema(conn) -> BillingSchema:
    services, assignments, fn = query(conn, SCHEMA_SQL)[0]
    constraints = tuple(tuple(r) for r in query(conn, CONSTRAINTS_SQL))
    return BillingSchema(dict(zip(TABLES, (services, assignments))), fn, constraints)
