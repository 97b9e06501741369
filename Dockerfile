# The queue service's image: `docker build -t dialer-queue-service .`
#
# Two stages: the first builds wheels of the package and its dependencies, the second installs
# them into a clean Python and runs as a user without privileges. The image also holds the
# Twilio emulator (`twilio-emulator`), which deploy/compose.yaml runs as a stand-in Twilio.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN groupadd --system --gid 10001 queue \
    && useradd --system --uid 10001 --gid queue --no-create-home --shell /usr/sbin/nologin queue
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels dialer-queue-service \
    && rm -rf /wheels
ENV PYTHONUNBUFFERED=1 \
    QUEUE_HOST=0.0.0.0 \
    QUEUE_PORT=8000 \
    QUEUE_LOG_JSON=true
USER queue
EXPOSE 8000
# Ready means: start-up done, Event Streams provisioned, Redis answering, not draining.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('QUEUE_PORT', '8000') + '/readyz', timeout=4)"]
# The command line the system tests run (tests/deploy/test_container_files.py holds them equal).
ENTRYPOINT ["queue-service"]
CMD ["serve"]
