"""Plumbing shared by every DotMac service. A library: imported, never run on its own."""
