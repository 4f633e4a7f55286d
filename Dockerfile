# newswatch container image.
#
#   docker build -t newswatch .
#   docker run --rm newswatch check              # validate the baked-in config
#   docker run --rm -i newswatch scan < news.jsonl
#
# The runtime stage runs `newswatch run` as uid 10001 with the configuration
# in /etc/newswatch/ (deploy/config.toml and config/watchlist.toml).

# ---- build -------------------------------------------------------------------
FROM rust:1.95-slim-trixie AS builder

# rdkafka's cmake-build feature compiles librdkafka with cmake and a C/C++
# compiler, its ssl feature links OpenSSL (libssl-dev, found by pkg-config),
# curl-static builds libcurl from source, and librdkafka links zlib.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        cmake g++ make pkg-config libssl-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependencies are cached with a dummy crate rather than BuildKit cache
# mounts: the expensive part (librdkafka, libcurl and every crate) then lands
# in an ordinary image layer, rebuilt only when Cargo.toml or Cargo.lock
# change. A layer works with any builder and can be shared through a
# registry (`--cache-to`/`--cache-from` in CI), whereas a cache mount lives
# only on the machine that made it. Cargo.toml declares the bench `engine`:
# a stand-in benches/engine.rs keeps cargo from complaining about a declared
# target without its file (`cargo build` never compiles benches). The tests'
# support crate, a workspace member and dev-dependency that `cargo build`
# never compiles either, needs its manifest and a stand-in lib.rs.
COPY Cargo.toml Cargo.lock build.rs ./
COPY tests/support/Cargo.toml tests/support/
RUN mkdir -p src benches tests/support/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs tests/support/src/lib.rs \
    && echo 'fn main() {}' > benches/engine.rs \
    && cargo build --release --locked \
    && rm -rf src

COPY src ./src
# What the sources build in with include_str! (the built-in watchlist, the
# demo's sample news): scripts/lint-deploy.py checks that each is copied.
COPY config/watchlist.toml ./config/
COPY config/samples/news.jsonl ./config/samples/
# The commit `newswatch --version` and newswatch_build_info name (build.rs;
# the context has no .git): `docker build --build-arg NEWSWATCH_COMMIT=$(git rev-parse --short=12 HEAD)`.
ARG NEWSWATCH_COMMIT=unknown
# COPY keeps the sources' modification times, which are older than the dummy
# build above: touch the crate roots so that cargo rebuilds the crate.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && install -D -m 0755 target/release/newswatch /out/newswatch

# ---- runtime -----------------------------------------------------------------
FROM debian:trixie-slim

# libssl3t64: OpenSSL for librdkafka's TLS and the webhook client;
# ca-certificates: to verify brokers' and webhook receivers' certificates.
# The binary's other libraries (libz.so.1, libgcc_s, libc) are already in
# the base image. No curl: the healthcheck below uses bash, which every
# Debian image has, so the image carries no HTTP client of its own.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl3t64 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 newswatch \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin newswatch

COPY --from=builder /out/newswatch /usr/local/bin/newswatch
COPY config/watchlist.toml /etc/newswatch/watchlist.toml
COPY deploy/config.toml /etc/newswatch/config.toml

ENV NEWSWATCH_CONFIG=/etc/newswatch/config.toml

# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001

# /metrics, /healthz, /readyz (http.listen in deploy/config.toml).
EXPOSE 9464

# GET /healthz over bash's /dev/tcp: 200 while the process is alive.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9464 && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["newswatch"]
CMD ["run"]
