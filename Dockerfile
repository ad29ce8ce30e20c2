# The ingot image: one binary, run as `ingot controller` or `ingot speaker` (deploy/ingot.yaml).
#
#   docker build -t ingot:0.1.0 .
#
# Stage 1 builds on Debian bookworm with the same -dev packages (tools/install-deps) and the same
# meson/ninja commands as the Makefile's `build` target; stage 2 is bookworm-slim with only the
# shared libraries the binary links (tests/system/test_deploy.py checks this list against
# `ldd ingot` and dpkg) and an unprivileged user.

FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential meson ninja-build pkg-config \
      libevent-dev libcurl4-openssl-dev libssl-dev libjansson-dev libyaml-dev libmnl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The unit tests (cmocka) run in `make test`, not in the image build.
RUN meson setup build -Dtests=false --buildtype=release \
 && ninja -C build \
 && build/ingot version

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libevent-2.1-7 libcurl4 libjansson4 libyaml-0-2 libmnl0 libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 65532 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin ingot
COPY --from=build /src/build/ingot /usr/bin/ingot
# The controller runs as this user; the speaker's Pod asks for root with NET_RAW only
# (deploy/ingot.yaml says why).
USER 65532:65532
ENTRYPOINT ["/usr/bin/ingot"]
CMD ["--help"]
