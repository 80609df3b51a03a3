# mailflow_exporter container image: built on debian:12, run on debian:12-slim
# as the non-root user mailflow-exporter (uid/gid 10029).
#   docker build --build-arg VERSION=0.1.0 \
#     --build-arg REVISION=$(git rev-parse --short=12 HEAD) -t mailflow-exporter .
# Beside Postfix on the host (docs/container.md has compose, a Kubernetes
# sidecar and the journal):
#   docker run -d --name mailflow-exporter --net=host --pid=host \
#     --cap-add=DAC_READ_SEARCH --cap-add=NET_ADMIN \
#     -v /etc/postfix:/etc/postfix:ro -v /var/spool/postfix:/var/spool/postfix:ro \
#     -v /var/log:/var/log:ro -v /etc:/host/etc:ro mailflow-exporter
# Capabilities: the binary carries cap_dac_read_search and cap_net_admin as
# file capabilities, permitted only; the exporter makes effective (and
# ambient, for the nft/iptables it runs) those the runtime lets through its
# bounding set, i.e. the --cap-add ones. Without them it starts anyway and
# says which collectors lack what.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/deps scripts/deps
RUN scripts/deps --exporter && rm -rf /var/lib/apt/lists/*
COPY . .
ARG REVISION=unknown
# Parallel compile jobs (default: ninja's choice from the CPU count).
ARG JOBS=
# Installed (not copied from the build tree) so that the binary's RUNPATH,
# $ORIGIN/../lib/mailflow_exporter, finds the TLS shims (exporter/ssl_shim/).
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DMAILFLOW_BUILD_TESTS=OFF -DMAILFLOW_BUILD_BENCH=OFF \
      -DMAILFLOW_REVISION="$REVISION" \
 && cmake --build /build ${JOBS:+-j "$JOBS"} \
 && DESTDIR=/install cmake --install /build --prefix /usr --strip \
 && scripts/deps --print runtime > /runtime-packages

FROM debian:12-slim
# libcap2-bin: setcap below, and getpcaps/capsh for whoever debugs the image.
COPY --from=build /runtime-packages /tmp/runtime-packages
RUN apt-get update \
 && xargs -a /tmp/runtime-packages apt-get install -y --no-install-recommends \
      libcap2-bin \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt \
      /var/log/dpkg.log /var/log/alternatives.log /tmp/runtime-packages \
 && groupadd --system --gid 10029 mailflow-exporter \
 && useradd --system --uid 10029 --gid 10029 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin mailflow-exporter
COPY --from=build /install/usr/bin/mailflow_exporter /usr/bin/mailflow_exporter
COPY --from=build /install/usr/lib/mailflow_exporter/ /usr/lib/mailflow_exporter/
COPY config/container.yml /etc/mailflow-exporter/config.yml
RUN setcap cap_dac_read_search,cap_net_admin+p /usr/bin/mailflow_exporter
ARG VERSION=unknown
ARG REVISION=unknown
LABEL org.opencontainers.image.title="mailflow_exporter" \
      org.opencontainers.image.description="Prometheus exporter: can mail flow through Postfix, and if not, why" \
      org.opencontainers.image.source="https://github.com/mailflow/mailflow_exporter" \
      org.opencontainers.image.documentation="https://github.com/mailflow/mailflow_exporter/blob/main/docs/container.md" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.base.name="docker.io/library/debian:12-slim"
# Settings by environment (flags win over them, they win over the file):
# MAILFLOW_CONFIG_FILE, MAILFLOW_LOG_SOURCE (auto|file|journal|stdin),
# MAILFLOW_LOG_PATH, MAILFLOW_WEB_LISTEN_ADDRESS, MAILFLOW_WEB_CONFIG_FILE,
# MAILFLOW_LOG_LEVEL.
ENV MAILFLOW_CONFIG_FILE=/etc/mailflow-exporter/config.yml
USER 10029:10029
EXPOSE 10029
# Uses the same MAILFLOW_WEB_* settings as the server (TLS included).
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["/usr/bin/mailflow_exporter", "--health-check"]
ENTRYPOINT ["/usr/bin/mailflow_exporter"]
