"""Simulators of the services Plex Kiosk talks to, speaking their real protocols over HTTP.

Used by the tests and the demo; never started when real services are configured.
"""
