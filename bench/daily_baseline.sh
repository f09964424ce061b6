#!/usr/bin/env bash
# The Daily Ops Checklist (Steps 1-5) the way an ops engineer runs it by hand: the runbook's own
# docker / curl / jq commands, one after the other, with the red flags eyeballed by grep and jq.
# This is the baseline that `pytest -m daily` is measured against (python -m bench baseline).
#
# Environment (the lab fills it from `pms-lab status --json`):
#   API  SB_URL  ANON_KEY  EMAIL  PASSWORD   (and optionally SUPABASE_NET, the Supabase network)
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
for CID in $("${CURL[@]}" -L "$API/api/v1/channel-connections/" -H "Authorization: Bearer $TOKEN" \
             | jq -r '(if type == "array" then . else .items end)[] | select(.status == "active") | .id'); do
  batches=$("${CURL[@]}" "$API/api/v1/channel-connections/$CID/sync-batches?limit=50&status=any" \
            -H "Authorization: Bearer $TOKEN")
  summary=$(jq -r --arg since "$since" '(if type == "array" then . else .items end)
      | map(select((.created_at_min // .updated_at_max) >= $since))
      | "\(length) \(map(select(.batch_status == "failed")) | length) \(map(select(.batch_status == "running")) | length) \(map(.status_counts.other // 0) | add // 0)"' <<<"$batches")
  read -r total failed running other <<<"$summary"
  echo "$CID total=$total failed=$failed running=$running other=$other"
  [ "$total" -gt 0 ] || flag "$CID: no batch in 24 h"
  [ "$total" -gt 0 ] && [ $((failed * 10)) -gt "$total" ] && flag "$CID: failed > 10 %"
  [ "$total" -gt 0 ] && [ "$running" = "$total" ] && flag "$CID: all running"
  [ "$other" -gt 0 ] && flag "$CID: status_counts.other > 0"
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
