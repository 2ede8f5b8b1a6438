"""Dunning: what happens, day by day, after an ISP's payment fails."""

TASK_QUEUE = "billing"
