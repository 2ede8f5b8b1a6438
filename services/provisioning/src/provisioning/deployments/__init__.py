"""The deployment records the onboarding keeps and the offboarding ends: deployments, their
steps and the instances the providers made."""
