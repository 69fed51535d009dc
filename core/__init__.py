"""The small project-wide layer every app may use; it imports no app and no project module."""
