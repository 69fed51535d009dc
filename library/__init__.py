"""The mirror of the household's Plex library, and the Plex connection."""
