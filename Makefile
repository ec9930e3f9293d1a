# The two entry points the README documents, for a fresh Debian 12 machine:
#   make run   installs what is needed, builds, and starts the gateway on the bundled conf/
#   make test  installs what is needed, builds, and runs every test
# Both install the system packages themselves (as root, or through sudo).

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Build: the C libraries the core binds (pkg-config, bindgen needs libclang).
BUILD_PACKAGES := pkg-config clang libclang-dev libglib2.0-dev libjansson-dev libconfig-dev \
	libsrtp2-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libnice-dev
# Tests: the reference Janus 1.1.2 (its modules are what we load, its headers what ours are
# checked against, janus-pp-rec reads our recordings), ffmpeg/ffprobe to check media files,
# iproute2 (`ip`) to build the private network the WebRTC tests run in, headless Chromium with
# Debian's unchanged janus.js (and the adapter.js it needs) for the browser tests, coturn as the
# TURN server of the relay test.
TEST_PACKAGES := janus janus-dev janus-tools binutils ffmpeg iproute2 chromium libjs-janus-gateway \
	libjs-webrtc-adapter coturn
# Running: the stock modules the bundled configuration loads.
RUN_PACKAGES := janus

.PHONY: run test deps-run deps-test build

deps-run:
	$(SUDO) apt-get update
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(BUILD_PACKAGES) $(RUN_PACKAGES)

deps-test:
	$(SUDO) apt-get update
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(BUILD_PACKAGES) $(TEST_PACKAGES)

build:
	cargo build --release

# Plugins come from one folder: Debian's, plus ours from plugins-c (built by build.rs).
MODULES := target/modules/plugins

run: deps-run build
	rm -rf $(MODULES) && mkdir -p $(MODULES)
	ln -s /usr/lib/x86_64-linux-gnu/janus/plugins/*.so $(MODULES)/
	for f in target/release/build/janus-*/out/plugins-c/*.so; do ln -sf "$$PWD/$$f" $(MODULES)/; done
	./target/release/janus -F conf -P $(MODULES)

test: deps-test
	cargo build --all-targets
	cargo test --all-targets --no-fail-fast
