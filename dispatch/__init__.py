"""The domain core: schema, workflows, jobs and schedule. Never imports Flask."""
