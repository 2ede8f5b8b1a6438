"""The `aws` provider: an EC2 instance sized by tier, its security group, an S3 bucket for its
backups and a Route53 zone for the ISP's domain, all in the ISP's region and tagged with it
(the resources of `infra/modules/aws-isp`).

- `client`: boto3 clients per service and region, their blocking calls on threads of their own,
  and their errors sorted into what a person must fix and what the workflow retries;
- `resources`: each resource found again by a name or tag derived from the ISP, or made
  (idempotent);
- `provider`: the onboarding's steps and their compensations, from those resources.
"""

from provisioning.providers.aws.provider import AwsProvider
from provisioning.providers.aws.resources import names

__all__ = ["AwsProvider", "names"]
