# The repairsim image: `docker run IMAGE` checks the shipped scenarios, and
# `docker run -v "$PWD:/work" IMAGE check scenarios/` checks yours.
# .ci/run parses this file with the `dockerfile` package (.ci/dockerfile).

# Build stage: the Rust version Cargo.toml names (rust-version = "1.90"), on
# the same Debian release as the runtime stage, so the binary links against
# the same glibc.
FROM rust:1.90-slim-bookworm AS build
WORKDIR /src
# What `cargo build` reads: the manifest, the lock file, build.rs, the
# sources, and the files they embed (the font in assets/, the default
# scenario in scenarios/). There is no .git here: build.rs reads the commit
# for `--version` from REPAIRSIM_COMMIT
# (`--build-arg REPAIRSIM_COMMIT=$(git rev-parse HEAD)`), else it says
# "commit unknown".
ARG REPAIRSIM_COMMIT=
COPY Cargo.toml Cargo.lock build.rs ./
COPY assets/ assets/
COPY scenarios/ scenarios/
COPY src/ src/
# No debug info: the image does not need it, and the build is faster.
ENV CARGO_PROFILE_RELEASE_DEBUG=0
RUN cargo build --release --locked

# Runtime stage: the binary needs only glibc (libc, libm, libgcc_s).
FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="repairsim" \
      org.opencontainers.image.description="Deterministic discrete-event simulator of node auto-repair in managed Kubernetes (AKS, GKE, EKS, Cluster API, medik8s)" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/repairsim/repairsim"
# A non-root user with a fixed uid, so a runtime can enforce runAsNonRoot.
# /work is its working directory; mount a checkout there to check it.
RUN useradd --uid 10001 --user-group --home-dir /work --no-create-home --shell /usr/sbin/nologin repairsim \
 && install -d -o 10001 -g 10001 /work
COPY --from=build /src/target/release/repairsim /usr/local/bin/repairsim
# The shipped scenarios with their golden files, for the default command.
COPY scenarios/ /usr/share/repairsim/scenarios/
COPY LICENSE /usr/share/doc/repairsim/LICENSE
COPY assets/fonts/DejaVu-LICENSE /usr/share/doc/repairsim/DejaVu-LICENSE
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["repairsim"]
CMD ["check", "/usr/share/repairsim/scenarios"]
