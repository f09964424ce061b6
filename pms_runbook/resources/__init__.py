"""What the runbook probes, one module per resource (pytest-testinfra's shape).

Each module holds the resource's data type, its parser (total: a value or `BadAnswer`), its probe
and its evidence rendering: `containers`, `roles` (which container plays which role: accepted
names, ghosts, restart history, Redis, network attachments), `health` (liveness, readiness),
`version`, `channel_manager` (connections, sync batches), `tenants` (Step 4 over every agency),
`auth` (gateway token, API refusals), `errors` (error bodies: schema drift, agency errors),
`database` (the SQL the checks read, Step 4's twin of the batch list included), `logs`.
`pms_api` is the PMS API's client over the HTTP transport (paging, failure diagnosis); `answer`
is the parser plumbing they share. Transports live apart, in `pms_runbook.transports`.
"""
