"""The detection matrix: for each lab fault, exactly which checks turn red and which could not check.

Every check not listed for a fault must pass. `tests/lab/test_detection_matrix.py` proves each row
against the lab; `python -m tests.lab.matrix` renders docs/detection-matrix.md from this table.
"""
from __future__ import annotations

R, C = "red flag", "could not check"
N = "skipped"  # not checked: a gate or a capability the fault takes away; the verdict names it (never ALL CLEAR)

# Checks by name (unique across checks/), grouped as the runbook reads.
STEP1 = ["test_pms_container_is_up[pms-backend]", "test_pms_container_is_up[pms-admin]",
         "test_pms_container_is_up[pms-worker-v2]", "test_no_pms_container_is_restarting",
         "test_old_worker_is_not_running_beside_v2", "test_deployed_commit_is_the_expected_one",
         "test_no_ghost_container_beside_a_renamed_one"]
STEP2 = ["test_health_answers_200_to_head", "test_ready_answers_200_to_head", "test_ready_component_is_up[db]",
         "test_ready_component_is_up[redis]", "test_ready_component_is_up[celery]"]
STEP3 = ["test_at_most_one_worker_container_is_up", "test_celery_reports_exactly_one_worker"]
STEP4 = ["test_every_active_connection_synced_in_the_last_24h", "test_failed_batches_stay_under_the_threshold",
         "test_recent_batches_are_not_all_stuck_running", "test_recent_batches_hold_no_unexpected_status",
         "test_every_active_connection_is_seen_by_the_api_or_the_database"]
STEP5 = ["test_supabase_db_resolves_inside_pms_backend", "test_pms_backend_is_on_the_supabase_network",
         "test_redis_container_is_running", "test_worker_log_is_free_of_errors"]
STEP6 = ["test_sync_logs_are_within_the_retention_window", "test_frontend_has_no_browser_popups"]
DEPLOY = ["test_health_is_200", "test_ready_within_the_wait", "test_api_runs_the_expected_commit",
          "test_admin_runs_the_expected_commit", "test_backend_and_worker_run_the_same_commit"]
SMOKE = ["test_a_token_is_acquired", "test_channel_manager_accepts_the_bearer_token_alone",
         "test_channel_manager_refuses_a_call_without_token"]
TOP5 = ["test_no_db_dns_or_network_disconnect", "test_no_container_crashes_at_startup",
        "test_api_accepts_the_gateway_token", "test_api_shows_no_schema_drift", "test_every_migration_is_applied"]
NIGHTLY = ["test_no_sync_log_is_stale", "test_sync_failure_rate_stays_under_the_threshold"]
RUNS = ["test_the_nightly_completed_within_its_schedule", "test_the_post_deploy_gate_ran_after_the_deploy"]  # issue 11
# The guest-facing Quick Reference rows through the API and SQL (checks/quickref, issue 9): SQL ones first.
QUICKREF_SQL = ["test_page_blocks_are_stored_as_arrays", "test_the_anon_amenities_policies_exist",
                "test_the_billing_unit_constraints_accept_per_unit_night"]
QUICKREF_TOKEN = ["test_bookings_with_the_new_statuses_are_served", "test_the_admin_lists_the_pages_with_their_blocks",
                  "test_the_api_offers_per_unit_night"]
QUICKREF_OPENAPI = ["test_the_api_describes_the_new_booking_statuses"]
QUICKREF_PUBLIC = ["test_the_public_home_page_has_its_blocks", "test_the_public_filter_offers_the_amenities_of_public_properties",
                   "test_the_public_host_resolves_to_its_agency", "test_every_public_property_is_on_the_public_site"]
QUICKREF_API = QUICKREF_SQL + QUICKREF_TOKEN + QUICKREF_OPENAPI + QUICKREF_PUBLIC
PUBLIC_PROXY = ["test_public_api_is_proxied_same_origin[site-settings]", "test_public_api_is_proxied_same_origin[properties]"]
PUBLIC_SITE = PUBLIC_PROXY + ["test_middleware_lets_only_the_public_api_through", "test_unterkuenfte_is_not_a_cached_404"]
# The edge (issue 12): through coolify-proxy, by the lab's host names (pinned resolution, the lab CA).
EDGE_TLS = [f"test_host_presents_its_own_certificate[{h}]" for h in ("api", "admin", "site")] + [
    f"test_certificate_is_valid_long_enough_with_its_chain[{h}]" for h in ("api", "admin", "site")] + [
    "test_admin_host_sends_hsts"] + [f"test_http_redirects_to_https[{h}]" for h in ("api", "admin", "site")]
EDGE_API = ["test_preflight_from_each_allowed_origin_is_allowed", "test_preflight_from_an_unknown_origin_is_not_allowed",
            "test_preflight_with_an_undocumented_header_gets_400", "test_public_host_is_allowed",
            "test_every_agency_domain_is_allowed", "test_unknown_host_gets_the_documented_403",
            "test_public_endpoint_sends_rate_limit_headers_from_redis"]
EDGE_PROXY = ["test_proxy_has_a_server_for_each_running_container[api]",
              "test_proxy_has_a_server_for_each_running_container[admin]"]
EDGE = EDGE_TLS + EDGE_API + EDGE_PROXY
ALL = STEP1 + STEP2 + STEP3 + STEP4 + STEP5 + STEP6 + DEPLOY + SMOKE + TOP5 + NIGHTLY + RUNS + QUICKREF_API + PUBLIC_SITE + EDGE


def _all(outcome: str, names: list[str]) -> dict[str, str]:
    return {n: outcome for n in names}


MATRIX: dict[str, dict[str, str]] = {
    "db-network-disconnect": {
        "test_ready_answers_200_to_head": R, "test_ready_component_is_up[db]": R,
        "test_supabase_db_resolves_inside_pms_backend": R, "test_pms_backend_is_on_the_supabase_network": R,
        "test_ready_within_the_wait": R, "test_no_db_dns_or_network_disconnect": R,
        "test_channel_manager_accepts_the_bearer_token_alone": R,
        **_all(C, STEP4),
        "test_api_accepts_the_gateway_token": C, "test_api_shows_no_schema_drift": C,
        **_all(C, QUICKREF_TOKEN + QUICKREF_PUBLIC + PUBLIC_PROXY),
    },
    "old-worker-running": {
        "test_old_worker_is_not_running_beside_v2": R, "test_at_most_one_worker_container_is_up": R,
        "test_celery_reports_exactly_one_worker": R, "test_ready_answers_200_to_head": R,
        "test_ready_component_is_up[celery]": R, "test_ready_within_the_wait": R,
    },
    "worker-stopped": {
        "test_pms_container_is_up[pms-worker-v2]": R, "test_ready_answers_200_to_head": R,
        "test_ready_component_is_up[celery]": R, "test_celery_reports_exactly_one_worker": R,
        "test_ready_within_the_wait": R,
    },
    "redis-down": {
        "test_ready_answers_200_to_head": R, "test_ready_component_is_up[redis]": R,
        "test_ready_component_is_up[celery]": R, "test_celery_reports_exactly_one_worker": R,
        "test_redis_container_is_running": R, "test_worker_log_is_free_of_errors": R,
        "test_ready_within_the_wait": R,
        "test_public_endpoint_sends_rate_limit_headers_from_redis": R,  # the limiter's memory fallback (§9 #33)
    },
    "backend-crashloop": {
        "test_pms_container_is_up[pms-backend]": R, "test_no_pms_container_is_restarting": R,
        "test_no_container_crashes_at_startup": R,
        "test_deployed_commit_is_the_expected_one": C,
        **_all(C, STEP2 + STEP4),
        "test_celery_reports_exactly_one_worker": C, "test_supabase_db_resolves_inside_pms_backend": C,
        "test_ready_within_the_wait": C, "test_api_runs_the_expected_commit": C,
        "test_no_db_dns_or_network_disconnect": C, "test_api_accepts_the_gateway_token": C,
        "test_api_shows_no_schema_drift": C,
        **_all(C, QUICKREF_TOKEN + QUICKREF_OPENAPI + QUICKREF_PUBLIC),
        **_all(C, PUBLIC_PROXY),  # the API itself does not answer: not the proxy's fault
        **_all(C, EDGE_API),  # the proxy has no server for the API host: nothing behind it to ask
        # through the edge (the lab profile's default) the proxy answers for the crashed backend: its 503 shows
        # the failure where the direct port only refused the connection
        "test_health_is_200": R, "test_health_answers_200_to_head": R, "test_ready_answers_200_to_head": R,
        "test_channel_manager_accepts_the_bearer_token_alone": R, "test_channel_manager_refuses_a_call_without_token": R,
    },
    "admin-missing": {
        "test_pms_container_is_up[pms-admin]": R, "test_admin_runs_the_expected_commit": R,
        "test_admin_host_sends_hsts": C,
    },
    "commit-mismatch": {
        "test_deployed_commit_is_the_expected_one": R, "test_api_runs_the_expected_commit": R,
        "test_backend_and_worker_run_the_same_commit": R,
    },
    "schema-drift": {
        **_all(R, STEP4),
        "test_channel_manager_accepts_the_bearer_token_alone": R,
        "test_api_shows_no_schema_drift": R, "test_every_migration_is_applied": R,
    },
    "failed-batches": {
        "test_failed_batches_stay_under_the_threshold": R, "test_sync_failure_rate_stays_under_the_threshold": R,
    },
    "stuck-batches": {
        "test_recent_batches_are_not_all_stuck_running": R, "test_no_sync_log_is_stale": R,
    },
    "unexpected-status": {"test_recent_batches_hold_no_unexpected_status": R},
    "no-recent-batches": {"test_every_active_connection_synced_in_the_last_24h": R},
    # Other tenants (issue 8 item 1): the ops user's second agency through the API (x-agency-id), an agency
    # it is not a member of through the read-only database; an active connection the API does not list.
    "failed-batches-member-agency": {
        "test_failed_batches_stay_under_the_threshold": R, "test_sync_failure_rate_stays_under_the_threshold": R,
    },
    "failed-batches-other-agency": {
        "test_failed_batches_stay_under_the_threshold": R, "test_sync_failure_rate_stays_under_the_threshold": R,
    },
    "no-recent-batches-other-agency": {"test_every_active_connection_synced_in_the_last_24h": R},
    "connection-list-truncated": {"test_every_active_connection_is_seen_by_the_api_or_the_database": R},
    # Every page (issue 8 item 4): more than a page of batches a day, stale-swept ones on top, failures later.
    "busy-connection": {
        "test_failed_batches_stay_under_the_threshold": R, "test_sync_failure_rate_stays_under_the_threshold": R,
    },
    "old-sync-logs": {"test_sync_logs_are_within_the_retention_window": R},
    "jwt-secret-mismatch": {
        **_all(R, STEP4),
        "test_channel_manager_accepts_the_bearer_token_alone": R, "test_api_accepts_the_gateway_token": R,
        "test_api_shows_no_schema_drift": C,
        **_all(R, QUICKREF_TOKEN),
    },
    "popups-in-frontend": {"test_frontend_has_no_browser_popups": R},
    "public-site-no-api-base": {**_all(R, PUBLIC_PROXY), "test_unterkuenfte_is_not_a_cached_404": C},
    "unterkuenfte-cached-404": {"test_unterkuenfte_is_not_a_cached_404": R},
    "legacy-health-head": {"test_health_answers_200_to_head": R, "test_ready_answers_200_to_head": R},
    "auth-bypass-deployed": {"test_channel_manager_refuses_a_call_without_token": R},
    "anon-key-rotated": {
        **_all(C, STEP4),
        "test_a_token_is_acquired": R, "test_api_accepts_the_gateway_token": R,
        "test_channel_manager_accepts_the_bearer_token_alone": C, "test_api_shows_no_schema_drift": C,
        **_all(C, QUICKREF_TOKEN),
    },
    "token-expired": {
        **_all(R, STEP4),
        "test_a_token_is_acquired": R, "test_channel_manager_accepts_the_bearer_token_alone": R,
        "test_api_accepts_the_gateway_token": R, "test_api_shows_no_schema_drift": C,
        **_all(R, QUICKREF_TOKEN),
    },
    "admin-commit-unset": {"test_deployed_commit_is_the_expected_one": R, "test_admin_runs_the_expected_commit": R},
    "worker-old-commit": {
        "test_deployed_commit_is_the_expected_one": R, "test_backend_and_worker_run_the_same_commit": R,
    },
    # Row-level security without the read-only role's policy: the SQL reading that table cannot vouch.
    # Step 4 reads the non-member agency's batches from channel_sync_logs (SQL), and every agency's list of
    # connections from channel_connections: hidden rows there are could-not-check, never a pass.
    "rls-hides-sync-logs": {
        "test_sync_logs_are_within_the_retention_window": C, "test_no_sync_log_is_stale": C,
        "test_sync_failure_rate_stays_under_the_threshold": C, **_all(C, STEP4),
    },
    "rls-hides-connections": {
        "test_sync_failure_rate_stays_under_the_threshold": C,
        "test_every_active_connection_is_seen_by_the_api_or_the_database": C,
    },
    "healthcheck-gates-off": {
        "test_ready_component_is_up[redis]": N, "test_ready_component_is_up[celery]": N,
        "test_celery_reports_exactly_one_worker": N,
    },
    # Answers that show the failure (issue 8, items 6 and 7).
    "ops-user-no-agency": {
        **_all(R, STEP4),
        "test_channel_manager_accepts_the_bearer_token_alone": R, "test_api_accepts_the_gateway_token": R,
        "test_api_shows_no_schema_drift": C,
        "test_bookings_with_the_new_statuses_are_served": C, "test_the_admin_lists_the_pages_with_their_blocks": C,
        "test_the_api_offers_per_unit_night": R,
    },
    "schema-drift-500": {
        **_all(R, STEP4),
        "test_channel_manager_accepts_the_bearer_token_alone": R,
        "test_api_shows_no_schema_drift": R, "test_every_migration_is_applied": R,
    },
    # The right container (issue 8 item 5): every accepted name judged, the configured Redis, restart history.
    "admin-renamed-ghost": {
        "test_pms_container_is_up[pms-admin]": R, "test_no_pms_container_is_restarting": R,
        "test_no_ghost_container_beside_a_renamed_one": R, "test_no_container_crashes_at_startup": R,
    },
    "redis-decoy": {
        "test_ready_answers_200_to_head": R, "test_ready_component_is_up[redis]": R,
        "test_ready_component_is_up[celery]": R, "test_celery_reports_exactly_one_worker": R,
        "test_redis_container_is_running": R, "test_worker_log_is_free_of_errors": R,
        "test_ready_within_the_wait": R,
        "test_public_endpoint_sends_rate_limit_headers_from_redis": R,
    },
    # The guest-facing half (issue 9): each Quick Reference row's real cause.
    "booking-status-literal-old": {
        "test_bookings_with_the_new_statuses_are_served": R, "test_the_api_describes_the_new_booking_statuses": R,
    },
    "website-blocks-double-encoded": {
        "test_page_blocks_are_stored_as_arrays": R, "test_the_admin_lists_the_pages_with_their_blocks": R,
        "test_the_public_home_page_has_its_blocks": R,
    },
    "website-blocks-object": {
        "test_page_blocks_are_stored_as_arrays": R, "test_the_admin_lists_the_pages_with_their_blocks": R,
        "test_the_public_home_page_has_its_blocks": R,
    },
    "public-pages-no-json-codec": {"test_the_public_home_page_has_its_blocks": R},
    "amenities-anon-policy-missing": {
        "test_the_anon_amenities_policies_exist": R, "test_the_public_filter_offers_the_amenities_of_public_properties": R,
    },
    # The properties list reads the amenities' names as anon too: without the grant it answers 500.
    "amenities-anon-grant-revoked": {
        "test_the_public_filter_offers_the_amenities_of_public_properties": R,
        "test_every_public_property_is_on_the_public_site": C,
        # the public API itself answers 500 (its queries read amenities as anon): not the proxy's fault
        "test_public_api_is_proxied_same_origin[properties]": C,
    },
    "per-unit-night-migration-reverted": {
        "test_the_billing_unit_constraints_accept_per_unit_night": R, "test_every_migration_is_applied": R,
    },
    "billing-unit-literal-old": {"test_the_api_offers_per_unit_night": R},
    "public-property-inactive": {"test_every_public_property_is_on_the_public_site": R},
    "public-property-not-public": {"test_every_public_property_is_on_the_public_site": R},
    "public-domain-missing": {
        "test_the_public_host_resolves_to_its_agency": R, "test_the_public_home_page_has_its_blocks": C,
        **_all(C, PUBLIC_PROXY),  # the API answers the site's host with nothing to proxy either
    },
    "worker-oom-loop": {
        "test_pms_container_is_up[pms-worker-v2]": R, "test_no_pms_container_is_restarting": R,
        "test_ready_answers_200_to_head": R, "test_ready_component_is_up[celery]": R,
        "test_celery_reports_exactly_one_worker": R, "test_ready_within_the_wait": R,
    },
    # The edge (issue 12).
    "edge-default-cert": {
        "test_host_presents_its_own_certificate[api]": R,
        # Every HTTPS request to the API host fails its certificate verification: the edge checks, and every
        # check of the API, which the lab profile reaches through the edge as production does
        **_all(C, EDGE_API), "test_proxy_has_a_server_for_each_running_container[api]": C,
        **_all(C, STEP2 + STEP4 + QUICKREF_TOKEN + QUICKREF_OPENAPI + QUICKREF_PUBLIC),
        "test_deployed_commit_is_the_expected_one": C, "test_celery_reports_exactly_one_worker": C,
        "test_health_is_200": C, "test_ready_within_the_wait": C, "test_api_runs_the_expected_commit": C,
        "test_channel_manager_accepts_the_bearer_token_alone": C, "test_channel_manager_refuses_a_call_without_token": C,
        "test_no_db_dns_or_network_disconnect": C, "test_api_accepts_the_gateway_token": C,
        "test_api_shows_no_schema_drift": C,
    },
    "edge-cert-expiring": {"test_certificate_is_valid_long_enough_with_its_chain[admin]": R},
    "edge-cors-headers-override": {"test_preflight_from_each_allowed_origin_is_allowed": R},
    "edge-origin-removed": {"test_preflight_from_each_allowed_origin_is_allowed": R},
    "edge-host-blocked": {
        "test_public_host_is_allowed": R, "test_every_agency_domain_is_allowed": R,  # the site's host is a domain
        # the site proxies with its own host (x-public-host): the backend refuses it as it refuses the probe
        **_all(R, PUBLIC_PROXY),  # /unterkuenfte stays the 200 ISR rendered before: Q4 is clear
    },
    # another tenant's domain, refused while the ops agency's site is fine
    "edge-customer-domain-not-allowed": {"test_every_agency_domain_is_allowed": R},
    # the allowlist judges the API's own host: nothing the checks send as X-Forwarded-Host is asked of it
    "edge-proxy-headers-untrusted": _all(C, ["test_public_host_is_allowed", "test_every_agency_domain_is_allowed",
                                             "test_unknown_host_gets_the_documented_403"]),
    "edge-backend-unhealthy": {
        "test_proxy_has_a_server_for_each_running_container[api]": R,
        **_all(C, EDGE_API + QUICKREF_TOKEN + QUICKREF_OPENAPI + QUICKREF_PUBLIC + PUBLIC_SITE),
        # The backend hangs: the proxy has no server for it (503) where the direct port never answers.
        "test_deployed_commit_is_the_expected_one": C, **_all(C, STEP2 + STEP4),
        "test_celery_reports_exactly_one_worker": C,
        "test_health_is_200": R, "test_health_answers_200_to_head": R, "test_ready_answers_200_to_head": R,
        "test_ready_within_the_wait": C, "test_api_runs_the_expected_commit": C,
        "test_channel_manager_accepts_the_bearer_token_alone": R,
        "test_channel_manager_refuses_a_call_without_token": R,
        "test_no_db_dns_or_network_disconnect": C, "test_api_accepts_the_gateway_token": C,
        "test_api_shows_no_schema_drift": C,
    },
}

# The diagnosis (pms_runbook/data/diagnosis.toml): for each fault, its root-cause checks; every other check of its
# row follows from one of them (verdict.json's `follows_from`). A fault with no failing check has none.
ROOTS: dict[str, set[str]] = {
    "db-network-disconnect": {"test_pms_backend_is_on_the_supabase_network"},
    "old-worker-running": {"test_old_worker_is_not_running_beside_v2"},
    "worker-stopped": {"test_pms_container_is_up[pms-worker-v2]"},
    "redis-down": {"test_redis_container_is_running"},
    "backend-crashloop": {"test_no_container_crashes_at_startup"},
    "admin-missing": {"test_pms_container_is_up[pms-admin]"},
    "commit-mismatch": {"test_deployed_commit_is_the_expected_one"},
    "schema-drift": {"test_every_migration_is_applied"},
    "failed-batches": {"test_failed_batches_stay_under_the_threshold"},
    "stuck-batches": {"test_recent_batches_are_not_all_stuck_running"},
    "unexpected-status": {"test_recent_batches_hold_no_unexpected_status"},
    "no-recent-batches": {"test_every_active_connection_synced_in_the_last_24h"},
    "failed-batches-member-agency": {"test_failed_batches_stay_under_the_threshold"},
    "failed-batches-other-agency": {"test_failed_batches_stay_under_the_threshold"},
    "no-recent-batches-other-agency": {"test_every_active_connection_synced_in_the_last_24h"},
    "connection-list-truncated": {"test_every_active_connection_is_seen_by_the_api_or_the_database"},
    "busy-connection": {"test_failed_batches_stay_under_the_threshold"},
    "old-sync-logs": {"test_sync_logs_are_within_the_retention_window"},
    "jwt-secret-mismatch": {"test_api_accepts_the_gateway_token"},
    "popups-in-frontend": {"test_frontend_has_no_browser_popups"},
    "legacy-health-head": {"test_health_answers_200_to_head"},
    "auth-bypass-deployed": {"test_channel_manager_refuses_a_call_without_token"},
    "anon-key-rotated": {"test_a_token_is_acquired"},
    "token-expired": {"test_a_token_is_acquired"},
    "admin-commit-unset": {"test_deployed_commit_is_the_expected_one"},
    "worker-old-commit": {"test_deployed_commit_is_the_expected_one"},
    "rls-hides-sync-logs": {"test_sync_logs_are_within_the_retention_window"},
    "rls-hides-connections": {"test_every_active_connection_is_seen_by_the_api_or_the_database"},
    "healthcheck-gates-off": set(),
    "ops-user-no-agency": {"test_api_accepts_the_gateway_token"},
    "schema-drift-500": {"test_every_migration_is_applied"},
    "admin-renamed-ghost": {"test_no_container_crashes_at_startup", "test_no_ghost_container_beside_a_renamed_one"},
    "redis-decoy": {"test_redis_container_is_running"},
    "worker-oom-loop": {"test_no_pms_container_is_restarting"},
    # the guest-facing half (issue 9)
    "public-site-no-api-base": set(PUBLIC_PROXY),
    "unterkuenfte-cached-404": {"test_unterkuenfte_is_not_a_cached_404"},
    "booking-status-literal-old": {"test_the_api_describes_the_new_booking_statuses"},
    "website-blocks-double-encoded": {"test_page_blocks_are_stored_as_arrays"},
    "website-blocks-object": {"test_page_blocks_are_stored_as_arrays"},
    "public-pages-no-json-codec": {"test_the_public_home_page_has_its_blocks"},
    "amenities-anon-policy-missing": {"test_the_anon_amenities_policies_exist"},
    "amenities-anon-grant-revoked": {"test_every_public_property_is_on_the_public_site",
                                     "test_the_public_filter_offers_the_amenities_of_public_properties"},
    "per-unit-night-migration-reverted": {"test_every_migration_is_applied"},
    "billing-unit-literal-old": {"test_the_api_offers_per_unit_night"},
    "public-property-inactive": {"test_every_public_property_is_on_the_public_site"},
    "public-property-not-public": {"test_every_public_property_is_on_the_public_site"},
    "public-domain-missing": {"test_the_public_host_resolves_to_its_agency"},
    # the edge (issue 12)
    "edge-default-cert": {"test_host_presents_its_own_certificate[api]"},
    "edge-cert-expiring": {"test_certificate_is_valid_long_enough_with_its_chain[admin]"},
    "edge-cors-headers-override": {"test_preflight_from_each_allowed_origin_is_allowed"},
    "edge-origin-removed": {"test_preflight_from_each_allowed_origin_is_allowed"},
    "edge-host-blocked": {"test_public_host_is_allowed"},
    "edge-customer-domain-not-allowed": {"test_every_agency_domain_is_allowed"},
    "edge-proxy-headers-untrusted": {"test_unknown_host_gets_the_documented_403"},
    "edge-backend-unhealthy": {"test_proxy_has_a_server_for_each_running_container[api]"},
}
# A check whose answer depends on the instant it asks, with the outcomes it may honestly give: a crash-looping
# backend is Up for a moment between two restarts, and an exec that lands then does resolve the DB name.
RACY: dict[str, dict[str, tuple[str, ...]]] = {
    "backend-crashloop": {"test_supabase_db_resolves_inside_pms_backend": ("passed", C, R),  # R: DNS not up yet
                          # the proxy's 503 seen while the container is Up for that moment: E7, following from F2
                          "test_proxy_has_a_server_for_each_running_container[api]": ("passed", R),
                          # the site's same-origin proxy of the public API hangs on a restarting backend or not
                          "test_unterkuenfte_is_not_a_cached_404": ("passed", C)},
}
# What the fix of a fault's root cause must name: the component observed down (names of the lab's profile).
FIX_NAMES: dict[str, tuple[str, ...]] = {
    "db-network-disconnect": ("pms-backend", "{supabase_network}"),
    "old-worker-running": ("pms-worker",),
    "worker-stopped": ("pms-worker-v2",),
    "redis-down": ("supabase-redis",),
    "redis-decoy": ("supabase-redis",),
    "backend-crashloop": ("pms-backend",),
    "admin-missing": ("pms-admin",),
    "worker-oom-loop": ("pms-worker-v2",),
    "admin-renamed-ghost": ("pms-admin",),
    "no-recent-batches": ("{api_url}",),
}
V2_ROOTS: dict[str, set[str]] = {"db-alias-lost": {"test_pms_backend_is_on_the_supabase_network"}}
# Two unrelated faults at once: both root causes (tests/lab/test_detection_matrix.py).
PAIRS = [("db-network-disconnect", "old-worker-running"), ("redis-down", "admin-missing")]


# Faults of the lab run as a v2 ("bridge") host, `pms-lab up --network-model v2`; proven by
# tests/lab/test_network_models.py, which also proves the healthy v2 lab all clear.
V2_MATRIX: dict[str, dict[str, str]] = {
    "db-alias-lost": {
        "test_ready_answers_200_to_head": R, "test_ready_component_is_up[db]": R,
        "test_supabase_db_resolves_inside_pms_backend": R, "test_pms_backend_is_on_the_supabase_network": R,
        "test_ready_within_the_wait": R, "test_no_db_dns_or_network_disconnect": R,
        "test_channel_manager_accepts_the_bearer_token_alone": R,
        "test_api_accepts_the_gateway_token": C, "test_api_shows_no_schema_drift": C,
        **_all(C, STEP4 + QUICKREF_TOKEN + QUICKREF_PUBLIC + PUBLIC_PROXY),
    },
}

# The browser walk (checks/browser, marker `browser`) is proven by tests/lab/test_browser_walk.py, not in
# the matrix runs above (their selection leaves it out: a walk per row would add ~7 s to each).
BROWSER = ["test_no_browser_dialog_opens_during_the_walk", "test_sync_history_is_shown_for_every_active_connection",
           "test_sync_history_agrees_with_the_api"]
BROWSER_MATRIX: dict[str, dict[str, str]] = {
    "admin-sync-history-broken": {"test_sync_history_is_shown_for_every_active_connection": R},
    "popup-in-built-admin": {"test_no_browser_dialog_opens_during_the_walk": R},
}

# Faults whose symptom changes with time are proven by their own tests (tests/lab/test_postdeploy_gate.py).
TIMED = {"slow-ready": "ready after ~15 s: the gate passes with the default wait and fails with a short one"}

# Red sides that no lab fault can show, proven against a misbehaving server instead.
PROVEN_ELSEWHERE = {
    "test_the_nightly_completed_within_its_schedule": "a seeded history whose last nightly is 30 h old "
                                                      "(tests/lab/test_alerting.py::test_the_dead_mans_switch)",
    "test_the_post_deploy_gate_ran_after_the_deploy": "a seeded history whose last gate is older than the backend "
                                                      "container (tests/lab/test_alerting.py::test_the_dead_mans_switch)",
    "test_middleware_lets_only_the_public_api_through": "a site whose middleware lets /api/v1/website/* through, "
                                                        "and one that answers OPTIONS "
                                                        "(tests/unit/test_public_site_middleware.py)",
    **{f"test_host_presents_its_own_certificate[{h}]": "the check of [api] (edge-default-cert) for another host"
       for h in ("admin", "site")},
    **{f"test_certificate_is_valid_long_enough_with_its_chain[{h}]": "the check of [admin] (edge-cert-expiring) for "
       "another host" for h in ("api", "site")},
    "test_admin_host_sends_hsts": "an admin host without strict-transport-security (tests/unit/test_edge.py)",
    **{f"test_http_redirects_to_https[{h}]": "plain HTTP answering 200 (tests/unit/test_edge.py)"
       for h in ("api", "admin", "site")},
    "test_preflight_from_an_unknown_origin_is_not_allowed": "a CORS answer with Access-Control-Allow-Origin: * "
                                                            "(tests/unit/test_edge.py)",
    "test_preflight_with_an_undocumented_header_gets_400": "a CORS answer allowing every header "
                                                           "(tests/unit/test_edge.py)",
    "test_unknown_host_gets_the_documented_403": "a server that allows every host (tests/unit/test_edge.py)",
    "test_proxy_has_a_server_for_each_running_container[admin]": "the check of [api] (edge-backend-unhealthy) for "
                                                                 "the admin host",
}


def render() -> str:
    """The matrix as Markdown: fault -> checks that turn red / could not check."""
    lines = [
        "# Detection matrix",
        "",
        "Generated from `tests/lab/matrix.py` (`python -m tests.lab.matrix > docs/detection-matrix.md`) and proven",
        "by `tests/lab/test_detection_matrix.py` against the lab: for each fault, the selection",
        "`-m \"daily or weekly or monthly or postdeploy or nightly\"` is run and every check's outcome is",
        "compared with this table. A check not named in a row passes under that fault.",
        "",
        "The root causes are the diagnosis (`pms_runbook/data/diagnosis.toml`): every other check of a row",
        "follows from one of them in that run's `verdict.json`.",
        "",
        "| lab fault | root cause | red flag | could not check |",
        "|---|---|---|---|",
    ]
    for fault, row in MATRIX.items():
        red = ", ".join(f"`{n}`" for n, o in row.items() if o == R) or "-"
        cnc = ", ".join(f"`{n}`" for n, o in row.items() if o == C) or "-"
        root = ", ".join(f"`{n}`" for n in sorted(ROOTS.get(fault, ()))) or "-"
        lines.append(f"| `{fault}` | {root} | {red} | {cnc} |")
    unchecked = [(f, [n for n, o in row.items() if o == N]) for f, row in MATRIX.items()]
    lines += ["", "Checks a fault leaves NOT CHECKED (skipped with the reason; the verdict names them, never ALL CLEAR):"]
    lines += [f"- `{f}`: {', '.join(f'`{n}`' for n in names)}" for f, names in unchecked if names]
    lines += ["", "On the lab run as a v2 host (`pms-lab up --network-model v2`, tests/lab/test_network_models.py):",
              "", "| lab fault (v2) | red flag | could not check |", "|---|---|---|"]
    for fault, row in V2_MATRIX.items():
        red = ", ".join(f"`{n}`" for n, o in row.items() if o == R) or "-"
        cnc = ", ".join(f"`{n}`" for n, o in row.items() if o == C) or "-"
        lines.append(f"| `{fault}` | {red} | {cnc} |")
    never = [n for n in ALL if not any(row.get(n) == R for row in MATRIX.values())]
    lines += ["", "Checks that no lab fault turns red, and where their red side is proven:"]
    lines += [f"- `{n}`: {PROVEN_ELSEWHERE.get(n, 'NOT PROVEN')}" for n in never]
    lines += ["", "The admin UI walked in a browser (`-m browser`, tests/lab/test_browser_walk.py):", "",
              "| lab fault | red flag | could not check |", "|---|---|---|"]
    for fault, row in BROWSER_MATRIX.items():
        red = ", ".join(f"`{n}`" for n, o in row.items() if o == R) or "-"
        cnc = ", ".join(f"`{n}`" for n, o in row.items() if o == C) or "-"
        lines.append(f"| `{fault}` | {red} | {cnc} |")
    lines += ["", "Faults whose symptom changes with time, proven by their own tests:"]
    lines += [f"- `{f}`: {why}" for f, why in TIMED.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
