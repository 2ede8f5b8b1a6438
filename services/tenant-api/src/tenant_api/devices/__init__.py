"""The ISP's network devices: what they are, where, and how to reach them by SNMP. Secrets
(communities, v3 keys) are sealed at rest and on the bus, and never answered back. Every change
is published for the network service, which polls what is in the inventory."""
