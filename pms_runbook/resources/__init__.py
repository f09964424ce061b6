"""What the runbook probes, one module per resource (pytest-testinfra's shape).

Each module holds the resource's data type, its parser (total: a value or `BadAnswer`), its probe
and its evidence rendering: `containers`, `health` (liveness, readiness), `version`,
`channel_manager` (connections, sync batches), `auth` (gateway token, API refusals), `errors`
(error bodies: schema drift, agency errors), `database`, `logs`. `answer` is the parser plumbing
they share. Transports live apart, in `pms_runbook.transports`.
"""
