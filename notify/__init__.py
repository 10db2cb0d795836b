"""Talking to citizens and staff: phones, SMS gateways, web push. No database, no settings."""
