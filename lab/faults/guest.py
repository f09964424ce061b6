"""Faults of the guest-facing half (quickref Q1, Q2, Q5, Q6, Q7), each its documented real cause: an API
build with the old BookingStatus literal, page blocks stored double-encoded (or as an object) with or
without normalize_blocks(), the anon amenities policies or grants gone, the per_unit_night migration
reverted, a public property hidden by its flags or its tenant's domain gone."""
from __future__ import annotations

from typing import ClassVar

from lab import guest_seed, migrate, stack
from lab.faults.base import Fault, Redeploy, wait_healthy
from lab.records import lab_uuid

NEW_STATUSES = '"requested", "under_review", "inquiry",'
OLD_STATUSES = '"inquiry",'
REQUESTED_BOOKING = lab_uuid("booking", "ops", 0)  # the ops agency's seeded `requested` booking


def _openapi_statuses(state) -> set[str]:
    import httpx

    try:
        schema = httpx.get(f"{state.api_url}/openapi.json", timeout=5).json()
        return set(schema["components"]["schemas"]["BookingResponse"]["properties"]["status"]["enum"])
    except (httpx.HTTPError, ValueError, KeyError):
        return set()


class BookingStatusLiteralOld(Redeploy):
    name = "booking-status-literal-old"
    summary = ("pms-backend redeployed from a build with the old 8-value BookingStatus literal while a booking has "
               "status 'requested': GET /api/v1/bookings/{id} answers 500 without CORS headers")
    role = "backend"
    patches = {"services/backend/bookings.py": lambda src: src.replace(NEW_STATUSES, OLD_STATUSES, 1)}

    def settled(self, state):
        wait_healthy(state)
        with stack.db_connect(state) as conn:  # the booking the old literal refuses (the seed has it)
            conn.execute("UPDATE bookings SET status = 'requested' WHERE id = %s", (REQUESTED_BOOKING,))
        stack.wait_until(lambda: "inquiry" in _openapi_statuses(state) and "requested" not in _openapi_statuses(state),
                         30, what="openapi.json without 'requested'")


HOME_PAGE = lab_uuid("page", "ops", "home")
_WITHOUT_NORMALIZE = {
    "services/backend/website_admin.py": lambda src: src
    .replace("return [normalized(row) for row in cur.fetchall()]", "return cur.fetchall()")
    .replace("    return normalized(row)\n", "    return row\n"),
    "services/backend/public_site.py": lambda src: src
    .replace('return {**row, "blocks": normalize_blocks(row["blocks"])}', "return row")
    .replace("from lab.services.backend.website_admin import normalize_blocks\n", ""),
}


class BlocksDoubleEncoded(Redeploy):
    name = "website-blocks-double-encoded"
    summary = ("the ops agency's home page has its blocks stored double-encoded (jsonb_typeof 'string') and "
               "pms-backend runs a build without normalize_blocks(): /api/v1/website/pages and the public page 500")
    role = "backend"
    patches = _WITHOUT_NORMALIZE

    def settled(self, state):
        wait_healthy(state)
        with stack.db_connect(state) as conn:  # json.dumps() before the insert, as the chapter's cause (a)
            conn.execute("UPDATE public_site_pages SET blocks = to_jsonb(blocks::text) "
                         "WHERE id = %s AND jsonb_typeof(blocks) = 'array'", (HOME_PAGE,))

    def heal(self, state):
        with stack.db_connect(state) as conn:  # the documented fix: the migration, then the build with the fix
            migrate.apply(conn, only=["20260214100000_fix_filter_config_grants_and_blocks.sql"], reapply=True)
        super().heal(state)


class BlocksObject(Fault):
    name = "website-blocks-object"
    summary = ("the ops agency's home page has its blocks stored as a JSON object: neither normalize_blocks() nor "
               "the blocks migration repairs it, the website pages answer 500")

    def inject(self, state):
        with stack.db_connect(state) as conn:
            conn.execute("UPDATE public_site_pages SET blocks = jsonb_build_object('blocks', blocks) "
                         "WHERE id = %s AND jsonb_typeof(blocks) = 'array'", (HOME_PAGE,))

    def heal(self, state):
        with stack.db_connect(state) as conn:
            conn.execute("UPDATE public_site_pages SET blocks = blocks -> 'blocks' "
                         "WHERE id = %s AND jsonb_typeof(blocks) = 'object'", (HOME_PAGE,))


class PublicPagesWithoutCodec(Redeploy):
    name = "public-pages-no-json-codec"
    summary = ("pms-backend redeployed from a build whose public site/pages/{slug} reads blocks as raw text (no JSON "
               "codec, no json.loads): the public pages answer 500 while the admin list is fine")
    role = "backend"
    patches = {"services/backend/public_site.py": lambda src: src
               .replace("meta_description, blocks FROM public_site_pages", "meta_description, blocks::text AS blocks "
                        "FROM public_site_pages", 1)
               .replace('return {**row, "blocks": normalize_blocks(row["blocks"])}', "return row", 1)
               .replace("from lab.services.backend.website_admin import normalize_blocks\n", "", 1)}


AMENITIES_RLS = "20260215201000_add_public_amenities_rls.sql"
AMENITY_POLICIES = (("amenities_select_anon", "amenities"), ("amenities_select_public", "amenities"),
                    ("property_amenities_select_anon", "property_amenities"),
                    ("property_amenities_select_public", "property_amenities"))


class AmenitiesPolicyMissing(Fault):
    name = "amenities-anon-policy-missing"
    summary = (f"the four anon/public SELECT policies of {AMENITIES_RLS} are gone: the public amenities filter "
               "is empty while the admin shows amenities assigned")

    def inject(self, state):
        with stack.db_connect(state) as conn:
            for policy, table in AMENITY_POLICIES:
                conn.execute(f"DROP POLICY IF EXISTS {policy} ON public.{table}")

    def heal(self, state):
        with stack.db_connect(state) as conn:
            migrate.apply(conn, only=[AMENITIES_RLS], reapply=True)


class AmenitiesGrantRevoked(AmenitiesPolicyMissing):
    name = "amenities-anon-grant-revoked"
    summary = ("SELECT on amenities and property_amenities revoked from anon: filter-options logs "
               "'permission denied' and answers an empty amenities list")

    def inject(self, state):
        with stack.db_connect(state) as conn:
            conn.execute("REVOKE SELECT ON public.amenities, public.property_amenities FROM anon")


PER_UNIT_NIGHT = "20260215200000_add_per_unit_night_billing.sql"
OLD_UNITS = "('per_night', 'per_stay', 'per_person_per_night', 'per_person_per_stay', 'per_unit')"


class PerUnitNightReverted(Fault):
    name = "per-unit-night-migration-reverted"
    summary = (f"migration {PER_UNIT_NIGHT} reverted: the billing_unit CHECKs lack per_unit_night, a save with it "
               "answers 500")

    def inject(self, state):
        with stack.db_connect(state) as conn:  # the migration's down: the CHECKs of 20260202120000
            conn.execute(f"""
                ALTER TABLE public.extra_services DROP CONSTRAINT IF EXISTS extra_services_billing_unit_check;
                ALTER TABLE public.extra_services ADD CONSTRAINT extra_services_billing_unit_check
                    CHECK (billing_unit IN {OLD_UNITS});
                ALTER TABLE public.property_extra_services
                    DROP CONSTRAINT IF EXISTS property_extra_services_billing_unit_override_check;
                ALTER TABLE public.property_extra_services ADD CONSTRAINT property_extra_services_billing_unit_override_check
                    CHECK (billing_unit_override IS NULL OR billing_unit_override IN {OLD_UNITS})""")
            conn.execute("DELETE FROM pms_schema_migrations WHERE filename = %s", (PER_UNIT_NIGHT,))

    def heal(self, state):
        with stack.db_connect(state) as conn:
            migrate.apply(conn)


class BillingUnitLiteralOld(Redeploy):
    name = "billing-unit-literal-old"
    summary = ("pms-backend redeployed from a build whose BillingUnit literal lacks per_unit_night: a save with it "
               "answers 422, /openapi.json does not offer it")
    role = "backend"
    patches = {"services/backend/pricing.py": lambda src: src.replace(
        '"per_unit",\n                      "per_unit_night"]', '"per_unit"]', 1)}


HIDDEN_PROPERTY = guest_seed.property_id("ops", 1)  # public and active in the seed


class PropertyHidden(Fault):
    """A property of the ops agency that should be public with one of its visibility flags off."""

    column: ClassVar[str]
    healthy: ClassVar[str]

    def inject(self, state):
        with stack.db_connect(state) as conn:
            conn.execute(f"UPDATE properties SET {self.column} = {self.broken} WHERE id = %s", (HIDDEN_PROPERTY,))

    def heal(self, state):
        with stack.db_connect(state) as conn:
            conn.execute(f"UPDATE properties SET {self.column} = {self.healthy} WHERE id = %s", (HIDDEN_PROPERTY,))


class PropertyInactive(PropertyHidden):
    name = "public-property-inactive"
    summary = "an ops-agency property that should be public has is_active = false: missing from /unterkuenfte"
    column, broken, healthy = "is_active", "false", "true"


class PropertyNotPublic(PropertyHidden):
    name = "public-property-not-public"
    summary = "an ops-agency property that should be public has is_public = false: missing from /unterkuenfte"
    column, broken, healthy = "is_public", "false", "true"


class PublicDomainMissing(Fault):
    name = "public-domain-missing"
    summary = ("the ops agency's agency_domains rows are deleted: its public host resolves to no tenant, the public "
               "API answers 404")

    def inject(self, state):
        with stack.db_connect(state) as conn:
            conn.execute("DELETE FROM agency_domains WHERE agency_id = %s", (lab_uuid("agency", "ops"),))

    def heal(self, state):
        with stack.db_connect(state) as conn:
            guest_seed.insert_domains(conn, lab_uuid("agency", "ops"), "ops", guest_seed.public_host("ops"))


FAULTS = (BookingStatusLiteralOld, BlocksDoubleEncoded, BlocksObject, PublicPagesWithoutCodec, AmenitiesPolicyMissing,
          AmenitiesGrantRevoked, PerUnitNightReverted, BillingUnitLiteralOld, PropertyInactive, PropertyNotPublic,
          PublicDomainMissing)
