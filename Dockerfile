# GPT-Trader in a container: built with the Rust toolchain, run on Debian
# slim as a non-root user with the data folder (bar cache, run store, session
# locks) on a volume.
#
#   docker build -t gpt-trader .
#   docker run --rm -v gpt-trader-data:/data gpt-trader backtest
#   docker run -d --name live1 -v gpt-trader-data:/data -p 127.0.0.1:9184:9184 \
#     -e APCA_API_KEY_ID -e APCA_API_SECRET_KEY -e GPT_TRADER_METRICS_TOKEN \
#     gpt-trader paper run --session live1 --broker alpaca --symbols SPY --metrics 0.0.0.0:9184
#
# The build runs the README's own build (`cargo build --release`, with the
# committed Cargo.lock). Linted by hadolint in .ci/run.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin gpt-trader

FROM debian:bookworm-slim
# TLS to Alpaca and Yahoo checks certificates against the system's roots.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /src/target/release/gpt-trader /usr/local/bin/gpt-trader
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin gpt-trader \
    && mkdir -p /data \
    && chown gpt-trader:gpt-trader /data
USER 10001:10001
ENV GPT_TRADER_DATA=/data
VOLUME ["/data"]
# 9184: a paper session's --metrics and /healthz; 8050: the dashboard.
EXPOSE 9184 8050
# For a paper session run with `--metrics 0.0.0.0:9184` (its token, if any,
# from GPT_TRADER_METRICS_TOKEN); other commands override or disable it.
HEALTHCHECK --interval=30s --timeout=10s --start-period=2m --retries=3 \
    CMD ["gpt-trader", "paper", "health", "--metrics", "127.0.0.1:9184"]
# `docker stop` sends SIGTERM: a session stops after its current bar, journaled.
STOPSIGNAL SIGTERM
ENTRYPOINT ["gpt-trader"]
CMD ["backtest"]
