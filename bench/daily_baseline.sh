#!/usr/bin/env bash
# The Daily Ops Checklist (Steps 1-5) the way an ops engineer runs it by hand: the runbook's own
# docker / curl / jq commands, one after the other, with the red flags eyeballed by grep and jq.
# This is the baseline that `pytest -m daily` is measured against (python -m bench baseline).
#
# Environment (the lab fills it from `pms-lab status --json`):
#   API  SB_URL  ANON_KEY  EMAIL  PASSWORD   (and optionally SUPABASE_NET, the Supabase network, and
#   DB_DSN, the read-only role's DSN: with it Step 4 covers every agency the ops user is a member of,
#   as the admin UI's agency switcher does; without it, the agency the token shows by default)
# Exit 0 when nothing red was seen, 1 otherwise. Every curl has a timeout, like the suite.
set -u
: "${API:?}" "${SB_URL:?}" "${ANON_KEY:?}" "${EMAIL:?}" "${PASSWORD:?}"
SUPABASE_NET=${SUPABASE_NET:-bccg4gs4o4kgsowocw08wkw4}
CURL=(curl -sS --connect-timeout 3 --max-time 20)
red=0
flag() { echo "RED FLAG: $*"; red=1; }

echo "== Step 1: containers + deployed commit"
ps_out=$(docker ps --format 'table {{.Names}}\t{{.Status}}\t{{.Image}}' | grep -E 'pms-backend|pms-admin|pms-worker')
echo "$ps_out"
for c in pms-backend pms-admin pms-worker-v2; do
  grep -qE "^$c +Up" <<<"$ps_out" || flag "$c missing or not Up"
done
grep -q Restarting <<<"$ps_out" && flag "a container is restarting"
grep -qE '^pms-worker +Up' <<<"$ps_out" && flag "old pms-worker running beside pms-worker-v2"
backend_commit=$(docker exec pms-backend env | grep SOURCE_COMMIT | cut -d= -f2)
worker_commit=$(docker exec pms-worker-v2 env | grep SOURCE_COMMIT | cut -d= -f2)
echo "SOURCE_COMMIT backend=$backend_commit worker=$worker_commit"
[ -n "$backend_commit" ] && [ "$backend_commit" = "$worker_commit" ] || flag "SOURCE_COMMIT differs"

echo "== Step 2: health checks"
"${CURL[@]}" -I "$API/health" | head -1 | grep -q ' 200' || flag "/health not 200"
"${CURL[@]}" -I "$API/health/ready" | head -1 | grep -q ' 200' || flag "/health/ready not 200"
ready=$("${CURL[@]}" "$API/health/ready")
jq . <<<"$ready"
for comp in db redis celery; do
  [ "$(jq -r ".components.$comp.status" <<<"$ready")" = up ] || flag "$comp down"
done

echo "== Step 3: worker singleton"
docker ps --format 'table {{.Names}}\t{{.Status}}' | grep pms-worker
[ "$(docker ps --format '{{.Names}}' | grep -c '^pms-worker')" -le 1 ] || flag "more than one worker container"
jq '.components.celery' <<<"$ready"
[ "$(jq '.components.celery.details.workers | length' <<<"$ready")" = 1 ] || flag "celery workers != 1"

echo "== Step 4: channel manager sanity check (every active connection)"
TOKEN=$("${CURL[@]}" -X POST "$SB_URL/auth/v1/token?grant_type=password" \
  -H "apikey: $ANON_KEY" -H "Content-Type: application/json" \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | jq -r '.access_token')
[ -n "$TOKEN" ] && [ "$TOKEN" != null ] || flag "no token"
since=$(date -u -d '24 hours ago' +%Y-%m-%dT%H:%M:%S)
# The ops user's agencies: its memberships (team_members by the token's sub), one x-agency-id each.
agencies=("")
if [ -n "${DB_DSN:-}" ]; then
  payload=$(cut -d. -f2 <<<"$TOKEN" | tr '_-' '/+')
  while [ $(( ${#payload} % 4 )) -ne 0 ]; do payload="$payload="; done
  sub=$(base64 -d <<<"$payload" 2>/dev/null | jq -r .sub)
  mapfile -t agencies < <(psql "$DB_DSN" -tAc "SELECT agency_id FROM team_members WHERE user_id = '$sub' ORDER BY created_at")
  [ ${#agencies[@]} -gt 0 ] || flag "the ops user is a member of no agency"
fi
for AGENCY in "${agencies[@]}"; do
  H=(-H "Authorization: Bearer $TOKEN")
  [ -n "$AGENCY" ] && H+=(-H "x-agency-id: $AGENCY")
  for CID in $("${CURL[@]}" -L "$API/api/v1/channel-connections/" "${H[@]}" \
               | jq -r '(if type == "array" then . else .items end)[] | select(.status == "active") | .id'); do
    batches=$("${CURL[@]}" "$API/api/v1/channel-connections/$CID/sync-batches?limit=50&status=any" "${H[@]}")
    summary=$(jq -r --arg since "$since" '(if type == "array" then . else .items end)
        | map(select((.created_at_min // .updated_at_max) >= $since))
        | "\(length) \(map(select(.batch_status == "failed")) | length) \(map(select(.batch_status == "running")) | length) \(map(.status_counts.other // 0) | add // 0)"' <<<"$batches")
    read -r total failed running other <<<"$summary"
    echo "${AGENCY:-default agency} $CID total=$total failed=$failed running=$running other=$other"
    [ "$total" -gt 0 ] || flag "$CID: no batch in 24 h"
    [ "$total" -gt 0 ] && [ $((failed * 10)) -gt "$total" ] && flag "$CID: failed > 10 %"
    [ "$total" -gt 0 ] && [ "$running" = "$total" ] && flag "$CID: all running"
    [ "$other" -gt 0 ] && flag "$CID: status_counts.other > 0"
    # The runbook's next command: the detail of each failed batch (none on a healthy system).
    for BATCH_ID in $(jq -r --arg since "$since" '(if type == "array" then . else .items end)[]
        | select((.created_at_min // .updated_at_max) >= $since and .batch_status == "failed") | .batch_id' <<<"$batches"); do
      "${CURL[@]}" "$API/api/v1/channel-connections/$CID/sync-batches/$BATCH_ID" "${H[@]}" \
        | jq '{batch_status, status_counts, operations: [.operations[] | {operation_type, status}]}'
    done
  done
done

echo "== Step 5: quick issue triage"
docker exec pms-backend getent hosts supabase-db || flag "supabase-db does not resolve"
docker inspect pms-backend | jq -r '.[0].NetworkSettings.Networks | keys[]' | grep -qx "$SUPABASE_NET" \
  || flag "pms-backend not on $SUPABASE_NET"
docker ps | grep -q redis || flag "Redis not running"
docker logs pms-worker-v2 --tail 50 2>&1 | grep -iE 'connection (refused|error)|max retries|Task .* raised' \
  && flag "worker log shows errors"

[ "$red" = 0 ] && echo "ALL CLEAR" || echo "RED FLAGS SEEN"
exit "$red"
