# One image for every DotMac service; the command picks the service:
#   docker run dotmac python -m registration serve
FROM python:3.11-slim
WORKDIR /app
COPY uv.lock pyproject.toml ./
COPY contracts contracts
COPY libs libs
COPY services services
COPY tools tools
RUN pip install --no-cache-dir uv \
 && uv sync --locked --no-dev --no-editable --no-cache
ENV PATH=/app/.venv/bin:$PATH
ENV DOTMAC_TENANT_BASE_DOMAIN=localhost
USER nobody
