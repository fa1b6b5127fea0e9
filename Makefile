# ilnbot: plain GNU make. `make` builds build/ilnbot; `make check` runs every test and
# ends with "N passed, N failed"; `make asan` builds and runs the suite under ASan+UBSan;
# `make fuzz` builds the libFuzzer harnesses; `make bench` runs the benchmarks.

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=

PKGS     := libetpan libcurl sqlite3 libpcre2-8 inih json-c gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# Debian's libetpan.pc adds a -specs= link flag that needs dpkg's files; drop it.
PKG_LIBS := $(filter-out -specs=%,$(shell pkg-config --libs $(PKGS)))

WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wno-unused-parameter
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -fstack-protector-strong
CPPFLAGS += -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -Isrc $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lm -pthread

LIB_SRCS  := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJS  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

.PHONY: all check unit asan fuzz bench install clean
all: $(BUILD)/ilnbot

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libilnbot.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/ilnbot: $(BUILD)/obj/main.o $(BUILD)/libilnbot.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libilnbot.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libilnbot.a $(LDLIBS) -lcmocka

unit: $(TEST_BINS)

# The whole suite: unit tests, end-to-end conversations, the corpus; then the same
# under ASan+UBSan, then a short fuzzing run. tests/run.sh prints the closing count.
check: all unit
	ILNBOT_TEST_ASAN=1 tests/run.sh

asan:
	$(MAKE) BUILD=build/asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" all unit

fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" build/fuzz/libilnbot.a
	@mkdir -p build/fuzz
	clang $(CPPFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -o build/fuzz/fuzz_inbound \
	  tests/fuzz/fuzz_inbound.c build/fuzz/libilnbot.a $(LDLIBS)
	clang $(CPPFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -o build/fuzz/fuzz_auth_results \
	  tests/fuzz/fuzz_auth_results.c build/fuzz/libilnbot.a $(LDLIBS)

-include tests/bench/bench.mk
-include tests/bench/bench_mail.mk

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ilnbot/templates \
	  $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)/etc/ilnbot $(DESTDIR)/lib/systemd/system
	install -m 755 $(BUILD)/ilnbot $(DESTDIR)$(PREFIX)/bin/ilnbot
	install -m 644 templates/*.txt $(DESTDIR)$(PREFIX)/share/ilnbot/templates/
	install -m 644 man/ilnbot.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 man/ilnbot.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	sed -e 's|^path = .*|path = /var/lib/ilnbot/ilnbot.db|' \
	    -e 's|^maildir = ../var/inbox.*|maildir = /var/lib/ilnbot/inbox|' \
	    -e 's|^maildir = ../var/outbox.*|maildir = /var/lib/ilnbot/outbox|' \
	    -e 's|^templates = .*|templates = $(PREFIX)/share/ilnbot/templates|' \
	    conf/ilnbot.conf >$(DESTDIR)/etc/ilnbot/ilnbot.conf.example
	chmod 644 $(DESTDIR)/etc/ilnbot/ilnbot.conf.example
	sed -e 's|/usr/local/bin/ilnbot|$(PREFIX)/bin/ilnbot|g' systemd/ilnbot.service \
	    >$(DESTDIR)/lib/systemd/system/ilnbot.service
	chmod 644 $(DESTDIR)/lib/systemd/system/ilnbot.service

clean:
	rm -rf build

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d)
