"""Subscriptions: which customer is on which plan, from when until when. Plan changes and
cancellations keep the history subscriber billing reads."""
