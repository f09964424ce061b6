"""The lab: a reference PMS stack (services, migrations, seed data) to run the runbook against."""
