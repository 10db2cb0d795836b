"""Talking to citizens and staff: phone numbers, SMS gateways, web push. No database, no settings."""
