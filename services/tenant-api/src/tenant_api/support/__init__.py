"""Support tickets: what a customer (or the network) needs fixed, who works on it, what was
said, and — for ISPs with sla_management — by when it is due."""
