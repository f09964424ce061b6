"""The guest-facing resources (quickref Q1, Q2, Q5, Q6, Q7): each parser accepts every documented shape, refuses
anything else with BadAnswer (never another exception), and the data types judge what the checks read."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pms_runbook.resources.answer import BadAnswer
from pms_runbook.resources.bookings import EXPOSED_SQL, LEGACY_STATUSES, parse_status
from pms_runbook.resources.extra_services import BillingSchema
from pms_runbook.resources.openapi import parse_openapi
from pms_runbook.resources.public_site import StoredProperty, parse_amenity_names, parse_property_ids
from pms_runbook.resources.website_pages import parse_pages, parse_public_page

OPENAPI = {
    "openapi": "3.1.0",
    "paths": {
        "/api/v1/bookings/{booking_id}": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/BookingResponse"}}}}}}},
        "/api/v1/pricing/extra-services": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/ExtraService"}}}}}}}},
    },
    "components": {"schemas": {
        "BookingResponse": {"properties": {"status": {"type": "string", "enum": ["requested", "confirmed"]}}},
        "ExtraService": {"properties": {"billing_unit": {"$ref": "#/components/schemas/BillingUnit"},
                                        "override": {"anyOf": [{"$ref": "#/components/schemas/BillingUnit"},
                                                               {"type": "null"}]}}},
        "BillingUnit": {"type": "string", "enum": ["per_night", "per_unit_night"]},
    }},
}


def test_openapi_enums_inline_through_a_ref_and_in_an_anyof():
    doc = parse_openapi(json.dumps(OPENAPI).encode())
    assert doc.response_schema("/api/v1/bookings/{booking_id}") == "BookingResponse"
    assert doc.enum_of("BookingResponse", "status") == {"requested", "confirmed"}
    assert doc.response_schema("/api/v1/pricing/extra-services") == "ExtraService"  # a list's items
    assert doc.enum_of("ExtraService", "billing_unit") == {"per_night", "per_unit_night"}
    assert doc.enum_of("ExtraService", "override") == {"per_night", "per_unit_night"}
    assert doc.enum_of("ExtraService", "absent") is None and doc.response_schema("/nowhere") is None


@pytest.mark.parametrize("body", [b"", b"<html>502</html>", b"[]", b'{"openapi": "3"}', b'{"paths": []}'])
def test_openapi_refuses_what_is_not_a_document(body):
    with pytest.raises(BadAnswer):
        parse_openapi(body)


def test_booking_status_is_read_and_a_body_without_one_refused():
    assert parse_status(b'{"id": "x", "status": "requested"}') == "requested"
    for body in (b'{"detail": [{"loc": ["response", "guest_id"]}]}', b"Internal Server Error", b'{"status": 3}'):
        with pytest.raises(BadAnswer):
            parse_status(body)


def test_the_exposed_sql_names_exactly_the_old_literal():
    assert all(f"'{s}'" in EXPOSED_SQL for s in LEGACY_STATUSES) and "requested" not in EXPOSED_SQL


def test_pages_are_an_array_whose_blocks_types_are_named():
    pages = parse_pages(json.dumps([{"slug": "home", "blocks": [{"type": "hero_fullwidth"}]},
                                    {"slug": "faq", "blocks": '[{"type": "faq"}]'},
                                    {"slug": "x", "blocks": {"0": {}}}]).encode())
    assert [(p.slug, p.blocks_type) for p in pages] == [("home", "an array"), ("faq", "a string"), ("x", "an object")]
    assert parse_public_page(b'{"slug": "home", "blocks": []}').blocks_type == "an array"
    for body in (b'{"items": []}', b'"[]"', b"[1]"):
        with pytest.raises(BadAnswer):
            parse_pages(body)


def test_public_properties_in_both_documented_shapes():
    assert parse_property_ids(b'[{"id": "a"}, {"id": "b"}]') == ["a", "b"]
    assert parse_property_ids(b'{"items": [{"id": "a"}], "total": 1, "limit": 50, "offset": 0}') == ["a"]
    for body in (b'{"properties": []}', b'[{"name": "no id"}]', b"[1]", b"<!DOCTYPE html>"):
        with pytest.raises(BadAnswer):
            parse_property_ids(body)


def test_filter_options_amenities_as_objects_or_names():
    assert parse_amenity_names(b'{"amenities": [{"name": "WLAN", "icon": "wifi"}, "Pool"], "cities": []}') == \
        ["WLAN", "Pool"]
    assert parse_amenity_names(b'{"amenities": []}') == []
    for body in (b'{"cities": []}', b'{"amenities": null}', b"[]"):
        with pytest.raises(BadAnswer):
            parse_amenity_names(body)


def test_a_stored_property_says_whether_guests_must_see_it():
    listed_inactive = StoredProperty("id", "Haus", True, False, True)
    assert not listed_inactive.visible and listed_inactive.flags() == "is_public=true is_active=false listed=yes"
    assert StoredProperty("id", "Haus", True, True, False).visible


def test_billing_constraints_without_per_unit_night_are_named():
    schema = BillingSchema({"public.extra_services": True, "public.property_extra_services": False}, True, (
        ("extra_services", "extra_services_billing_unit_check", "CHECK ((billing_unit = ANY (ARRAY['per_night'])))"),
        ("property_extra_services", "o_check", "CHECK (billing_unit_override = 'per_unit_night')")))
    assert [c[1] for c in schema.without_unit()] == ["extra_services_billing_unit_check"]
    assert schema.missing_tables == ["public.property_extra_services"]


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20).map(lambda v: json.dumps(v).encode())))
def test_every_guest_parser_is_total(body):
    for parse in (parse_openapi, parse_status, parse_pages, parse_public_page, parse_property_ids, parse_amenity_names):
        try:
            parse(body)
        except BadAnswer:
            pass


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["paths", "components", "schemas", "properties", "status", "enum", "$ref",
                                         "anyOf", "get", "responses", "200", "content", "application/json", "schema",
                                         "items", "type", "X"]), inner, max_size=4), max_leaves=25))
def test_openapi_lookups_never_raise_on_a_strange_document(doc):
    try:
        parsed = parse_openapi(json.dumps({"paths": {}, **doc} if isinstance(doc, dict) else doc).encode())
    except BadAnswer:
        return
    parsed.enum_of("X", "status")
    parsed.response_schema("X")


def test_a_403_of_the_host_allowlist_is_told_from_other_refusals():
    from types import SimpleNamespace

    from pms_runbook.resources.website import refused_host

    documented = json.dumps({"detail": {"error": "host_not_allowed", "host": "fewo.example", "allowed_hosts": []}})
    assert refused_host(SimpleNamespace(status=403, body=documented.encode()))
    assert not refused_host(SimpleNamespace(status=403, body=b'{"detail":"Not authenticated"}'))
    assert not refused_host(SimpleNamespace(status=200, body=documented.encode()))
