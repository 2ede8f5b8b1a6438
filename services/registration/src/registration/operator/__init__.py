"""The operator's view of every ISP signed up: who, which tier and region, and where its
deployment stands."""
