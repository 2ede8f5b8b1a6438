"""Registration: ISPs sign up here; it keeps the onboarding status that ISP admins poll."""
