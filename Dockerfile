# Multi-stage build: Debian 12 toolchain, Debian 12 slim runtime, non-root.
#   docker build -t mailflow-exporter .
#   docker run -d --net=host --pid=host -v /etc/postfix:/etc/postfix:ro \
#     -v /var/spool/postfix:/var/spool/postfix:ro -v /var/log:/var/log:ro \
#     mailflow-exporter
FROM debian:12 AS build
WORKDIR /src
COPY scripts/deps scripts/deps
RUN scripts/deps && rm -rf /var/lib/apt/lists/*
COPY . .
# Installed (not copied from the build tree) so that the binary's RUNPATH,
# $ORIGIN/../lib/mailflow_exporter, finds the TLS shims (exporter/ssl_shim/).
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DMAILFLOW_BUILD_TESTS=OFF -DMAILFLOW_BUILD_BENCH=OFF \
 && cmake --build /build \
 && DESTDIR=/install cmake --install /build --prefix /usr --strip \
 && scripts/deps --print runtime > /runtime-packages

FROM debian:12-slim
COPY --from=build /runtime-packages /tmp/runtime-packages
RUN apt-get update \
 && xargs -a /tmp/runtime-packages apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
 && useradd --system --no-create-home --shell /usr/sbin/nologin mailflow
COPY --from=build /install/usr/bin/mailflow_exporter /usr/bin/mailflow_exporter
COPY --from=build /install/usr/lib/mailflow_exporter/ /usr/lib/mailflow_exporter/
COPY config/example.yml /etc/mailflow-exporter/config.yml
USER mailflow
EXPOSE 10029
ENTRYPOINT ["/usr/bin/mailflow_exporter"]
CMD ["--config.file=/etc/mailflow-exporter/config.yml"]
