"""The Temporal search attributes provisioning's workflows carry, so operators can find an
ISP's onboarding, demo or offboarding in the Temporal UI (the dev stack and the test servers
register them at start)."""

from temporalio.common import SearchAttributeKey

ISP_ID = SearchAttributeKey.for_keyword("IspId")
TIER = SearchAttributeKey.for_keyword("Tier")
REGION = SearchAttributeKey.for_keyword("Region")
PROVIDER = SearchAttributeKey.for_keyword("Provider")
