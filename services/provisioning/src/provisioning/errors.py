class ConfigurationError(Exception):
    """A step cannot succeed until a person changes something (credentials, quota, a domain).

    Raised by providers and clients; the onboarding fails at once instead of retrying, with this
    message as the reason the ISP admin and the operator see.
    """
