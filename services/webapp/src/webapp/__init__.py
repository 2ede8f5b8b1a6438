"""The web app: pages for visitors (tiers, sign-up, the deployment as it happens), for ISP admins
(on their ISP's host) and for the platform's operators, over the platform's own APIs."""
