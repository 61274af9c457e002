"""Cases: a hit the RIEC takes up, moved through the chain process by policy-checked,
audited steps, up to the release of linked records to the casusoverleg."""
