"""tenant-api: the ISP framework every ISP runs its business on, one tenant per ISP."""
