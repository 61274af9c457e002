# Production image of the gateway. Build: docker build -t mensenhandel-gateway:0.1.0 .

# --- builder: resolve and install the pinned dependencies into a self-contained venv ---
FROM python:3.11-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Same path as in the final stage: console scripts hard-code the venv's interpreter.
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Only what the wheel needs, so docs/tests edits don't bust the install layer.
COPY pyproject.toml README.md ./
COPY gateway/ gateway/
COPY adapters/ adapters/
# No [dev] extra: test tooling has no place in the production image.
RUN pip install .
# OPA's engine in-process: the wheel declares Python >= 3.14 but its ctypes wrapper runs on 3.11
# (see the Makefile); it has no dependencies. Same pin as the Makefile.
RUN pip install --no-deps --ignore-requires-python opa-golib-python-bindings==0.4.4

# --- final: runtime only, no build tools, no sources ---
FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="mensenhandel-gateway" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="EUPL-1.2"

# libsodium23: the pseudonym service binds to it through pysodium.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsodium23 \
    && rm -rf /var/lib/apt/lists/*

# Fixed numeric uid so volume ownership and runAsNonRoot checks are predictable.
RUN groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin gateway

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Owned by root: the gateway only reads policies and public keys, it must not rewrite them.
COPY policies/ /app/policies/
# Committed partner JWKS only; keys/dev is excluded by .dockerignore.
COPY keys/ /app/keys/
# Writable home for the embedded SQLite default when run without a database URL.
RUN mkdir -p /app/var && chown 10001:10001 /app/var

# GOGC: fewer Go collections inside the embedded policy engine (gateway/policy/goruntime.py).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_KEYS_DIR=/app/keys \
    GATEWAY_POLICIES_DIR=/app/policies \
    GOGC=400

USER 10001:10001

EXPOSE 8080

# urllib because the slim image has no curl; urlopen raises (exit 1) on errors and HTTP >= 400.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

CMD ["gateway", "serve"]
