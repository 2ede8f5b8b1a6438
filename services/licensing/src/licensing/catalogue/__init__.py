"""The tier catalogue and plugin registry: the one place tiers are defined (DESIGN.md §4).

Other services learn them from licensing's API and events, never from a copy of this table.
"""
