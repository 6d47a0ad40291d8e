# berth: `make` builds bin/berth and bin/berth-daemon (NativeAOT), `make install` puts them in $(PREFIX)/bin,
# `make test` runs every test (installing what they need), `make bench` runs the benchmarks.
PREFIX ?= /usr/local
DOTNET ?= dotnet
SOURCES := $(shell find src -name '*.cs' -o -name '*.csproj') Directory.Build.props Directory.Packages.props

.PHONY: all install deps services demo fresh-boot test test-fast bench clean

all: bin/berth bin/berth-daemon

bin/berth: $(SOURCES)
	$(DOTNET) publish src/Berth -c Release -o out/publish --nologo -v quiet
	install -D -m 0755 out/publish/berth bin/berth

# The Engine API server (berth daemon execs it), apart so that ASP.NET Core is in none of berth's own starts.
bin/berth-daemon: $(SOURCES)
	$(DOTNET) publish src/Berth.Daemon -c Release -o out/publish --nologo -v quiet
	install -D -m 0755 out/publish/berth-daemon bin/berth-daemon

install: bin/berth bin/berth-daemon
	install -D -m 0755 bin/berth $(PREFIX)/bin/berth
	install -D -m 0755 bin/berth-daemon $(PREFIX)/bin/berth-daemon

deps:
	scripts/install-deps

services: deps
	scripts/start-services

examples/busybox.tar:
	scripts/make-busybox-rootfs $@

# The main job: a base image from the machine's busybox-static, then examples/hello built on it and run.
demo: deps install examples/busybox.tar
	berth import --change 'CMD ["/bin/sh"]' examples/busybox.tar busybox:latest
	# In a network namespace of its own: the default bridge network (which the build's RUN step and the container
	# join) is made there, not in the machine's.
	unshare -n sh -c 'ip link set lo up && berth build -t hello examples/hello && berth run --rm hello'
	berth images

# The main job as on a machine that has just booted: an empty /run (a fresh tmpfs in a private mount namespace),
# twice, so that neither a missing state directory nor one left by the first run goes unnoticed.
fresh-boot: install examples/busybox.tar
	unshare -m sh -c 'mount --make-rprivate / && mount -t tmpfs -o mode=0755 tmpfs /run && $(MAKE) --no-print-directory demo && $(MAKE) --no-print-directory demo'

# Test projects run one after another (scripts/run-tests); the machine's network namespace is checked after each
# and after the demo, and the log ends with a summary naming every failed test.
test: deps services bin/berth bin/berth-daemon fresh-boot
	scripts/check-host-network fresh-boot
	$(DOTNET) build berth.slnx --nologo -v quiet
	BERTH_BIN=$(CURDIR)/bin/berth DOTNET=$(DOTNET) scripts/run-tests

# Unit tests only: no root, no peers.
test-fast:
	$(DOTNET) test berth.slnx --nologo -v quiet --filter "Category!=Integration"

bench: deps services bin/berth bin/berth-daemon
	bench/run
	bench/build

clean:
	rm -rf bin out examples/busybox.tar
	find src tests -name bin -o -name obj | xargs rm -rf
