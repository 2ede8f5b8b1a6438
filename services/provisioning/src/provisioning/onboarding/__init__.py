"""Onboarding an ISP: the workflow, its activities, and the event that starts it."""
