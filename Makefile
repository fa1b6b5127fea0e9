# ilnbot: plain GNU make. `make` builds build/ilnbot; `make check` runs every test and
# ends with "N passed, N failed"; `make check-quick` runs the fast part (units and the
# Maildir conversations, no sanitizers, valgrind, fuzzing, oracle or mail lab) for the
# edit-test loop; `make asan` builds the suite under ASan+UBSan; `make fuzz` builds the
# libFuzzer harnesses and `make fuzz-long` runs each for 10 minutes; `make bench` runs
# the benchmarks. The project's own flags (-std=c11 and the warnings) are kept whatever
# CFLAGS says; WERROR=1 makes warnings errors (the CI does).

VERSION := 0.9.0
CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=

PKGS     := libetpan libcurl sqlite3 libpcre2-8 inih json-c gnutls libidn2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# Debian's libetpan.pc adds a -specs= link flag that needs dpkg's files; drop it.
PKG_LIBS := $(filter-out -specs=%,$(shell pkg-config --libs $(PKGS)))

WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wno-unused-parameter
WERROR   ?=
CFLAGS   ?= -O2 -g
ILN_CFLAGS := -std=c11 $(WARN) $(if $(filter 1 yes,$(WERROR)),-Werror) -fstack-protector-strong
ALL_CFLAGS = $(ILN_CFLAGS) $(CFLAGS)
CPPFLAGS += -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -DILNBOT_VERSION='"$(VERSION)"' -Isrc $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lm -pthread

LIB_SRCS  := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJS  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
# Drivers the test scripts run: the matching oracle's and the lab's transport test.
TOOL_BINS := $(BUILD)/tools/match_driver $(BUILD)/tools/transport_test

.PHONY: all check check-quick unit asan fuzz fuzz-long bench install uninstall dist clean
all: $(BUILD)/ilnbot

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The version is compiled into main.c only.
$(BUILD)/obj/main.o: Makefile

$(BUILD)/libilnbot.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/ilnbot: $(BUILD)/obj/main.o $(BUILD)/libilnbot.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libilnbot.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< $(BUILD)/libilnbot.a \
	  $(LDLIBS) -lcmocka

$(BUILD)/tools/match_driver: tests/oracle/match_driver.c $(BUILD)/libilnbot.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< $(BUILD)/libilnbot.a $(LDLIBS)

$(BUILD)/tools/transport_test: tests/lab/transport_test.c $(BUILD)/libilnbot.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -MMD -MP -o $@ $< $(BUILD)/libilnbot.a $(LDLIBS)

unit: $(TEST_BINS) $(TOOL_BINS)

# The whole suite: unit tests, end-to-end conversations, the corpus; then the same
# under ASan+UBSan, valgrind, a short fuzzing run, the oracle and the mail lab.
# tests/run.sh prints the closing count.
check: all unit
	ILNBOT_TEST_ASAN=1 tests/run.sh

check-quick: all unit
	ILNBOT_TEST_QUICK=1 ILNBOT_TEST_LAB=0 ILNBOT_TEST_ORACLE=0 tests/run.sh

asan:
	$(MAKE) BUILD=build/asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" all unit

# Every tests/fuzz/fuzz_*.c is a libFuzzer harness over the library built for fuzzing.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" build/fuzz/libilnbot.a
	@mkdir -p build/fuzz
	for f in $(FUZZ_SRCS); do \
	  clang $(CPPFLAGS) $(ILN_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
	    -o build/fuzz/$$(basename $$f .c) $$f build/fuzz/libilnbot.a $(LDLIBS) || exit 1; \
	done

# Each harness for FUZZ_LONG_SECONDS (default 600), one after the other, from a corpus in
# build/fuzz/long seeded by the shared corpus; the table goes to build/fuzz/long-summary.txt.
FUZZ_LONG_SECONDS ?= 600
fuzz-long: fuzz
	tests/fuzz/run.sh --long $(FUZZ_LONG_SECONDS)

-include tests/bench/bench.mk
-include tests/bench/bench_mail.mk

# Installation: every file under $(DESTDIR)$(PREFIX), nothing in /etc (the configuration
# examples go to the documentation; copy one to /etc/ilnbot/ilnbot.conf). With an empty
# DESTDIR, the system user ilnbot is created when missing (systemd-sysusers, else useradd).
BINDIR     := $(PREFIX)/bin
DATADIR    := $(PREFIX)/share/ilnbot
DOCDIR     := $(PREFIX)/share/doc/ilnbot
MANDIR     := $(PREFIX)/share/man
UNITDIR    := $(PREFIX)/lib/systemd/system
SYSUSERSDIR := $(PREFIX)/lib/sysusers.d
MANPAGES   := man/ilnbot.8 man/ilnbot.conf.5 man/ilnbot-setup.7
# The default template set and each language set (templates/<code>/).
TEMPLATE_FILES = $(wildcard templates/*.txt templates/*.ini templates/*/*.txt templates/*/*.ini)
TEMPLATE_LANGS = $(sort $(patsubst templates/%/,%,$(dir $(wildcard templates/*/*.txt))))
# What `make install` writes, relative to $(DESTDIR): `make uninstall` removes exactly this.
INSTALLED  = $(BINDIR)/ilnbot \
	     $(patsubst templates/%,$(DATADIR)/templates/%,$(TEMPLATE_FILES)) \
	     $(foreach m,$(MANPAGES),$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
	     $(DOCDIR)/README.md $(DOCDIR)/LICENSE \
	     $(DOCDIR)/examples/ilnbot.conf.example $(DOCDIR)/examples/ilnbot-servers.conf.example \
	     $(UNITDIR)/ilnbot.service $(SYSUSERSDIR)/ilnbot.conf
# The paths the installed files name: the binary, the templates, the state folder.
INSTALL_SED = -e 's|/usr/local/bin/ilnbot|$(BINDIR)/ilnbot|g' \
	      -e 's|/usr/local/share/ilnbot/templates|$(DATADIR)/templates|g' \
	      -e 's|@VERSION@|$(VERSION)|g'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 755 $(BUILD)/ilnbot $(DESTDIR)$(BINDIR)/ilnbot
	install -m 644 $(wildcard templates/*.txt templates/*.ini) $(DESTDIR)$(DATADIR)/templates/
	for l in $(TEMPLATE_LANGS); do \
	  install -d $(DESTDIR)$(DATADIR)/templates/$$l && \
	  install -m 644 templates/$$l/* $(DESTDIR)$(DATADIR)/templates/$$l/ || exit 1; \
	done
	for m in $(MANPAGES); do \
	  s=$${m##*.}; sed $(INSTALL_SED) $$m >$(DESTDIR)$(MANDIR)/man$$s/$${m##*/} && \
	  chmod 644 $(DESTDIR)$(MANDIR)/man$$s/$${m##*/} || exit 1; \
	done
	install -m 644 README.md LICENSE $(DESTDIR)$(DOCDIR)/
	sed -e 's|^path = .*|path = /var/lib/ilnbot/ilnbot.db|' \
	    -e 's|^maildir = ../var/inbox.*|maildir = /var/lib/ilnbot/inbox|' \
	    -e 's|^maildir = ../var/outbox.*|maildir = /var/lib/ilnbot/outbox|' \
	    -e 's|^templates = .*|templates = $(DATADIR)/templates|' \
	    conf/ilnbot.conf >$(DESTDIR)$(DOCDIR)/examples/ilnbot.conf.example
	sed $(INSTALL_SED) conf/ilnbot-servers.conf \
	    >$(DESTDIR)$(DOCDIR)/examples/ilnbot-servers.conf.example
	sed $(INSTALL_SED) systemd/ilnbot.service >$(DESTDIR)$(UNITDIR)/ilnbot.service
	install -m 644 systemd/ilnbot.sysusers $(DESTDIR)$(SYSUSERSDIR)/ilnbot.conf
	chmod 644 $(DESTDIR)$(DOCDIR)/examples/*.example $(DESTDIR)$(UNITDIR)/ilnbot.service
	@if [ -z "$(DESTDIR)" ] && ! getent passwd ilnbot >/dev/null; then \
	  if command -v systemd-sysusers >/dev/null; then \
	    echo "systemd-sysusers $(SYSUSERSDIR)/ilnbot.conf"; \
	    systemd-sysusers $(SYSUSERSDIR)/ilnbot.conf; \
	  else \
	    echo "useradd --system ilnbot"; \
	    useradd --system --user-group --home-dir /var/lib/ilnbot --no-create-home \
	      --shell /usr/sbin/nologin --comment "ilnbot peer-mentoring mail bot" ilnbot; \
	  fi; \
	fi

# uninstall: the installed files and the folders left empty; the user, /etc/ilnbot and
# /var/lib/ilnbot (the participants' data) stay.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(addprefix $(DESTDIR)$(DATADIR)/templates/,$(TEMPLATE_LANGS)) 2>/dev/null
	-rmdir $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)/examples \
	  $(DESTDIR)$(DOCDIR) 2>/dev/null

# dist: ilnbot-VERSION.tar.gz of the files git tracks or would (the working tree's copies), in one
# folder ilnbot-VERSION/; `make` inside it builds.
DIST := ilnbot-$(VERSION)
dist:
	rm -rf $(BUILD)/dist && mkdir -p $(BUILD)/dist/$(DIST)
	git ls-files -z --cached --others --exclude-standard | xargs -0 sh -c 'for f; do [ -f "$$f" ] && printf "%s\0" "$$f"; done' sh \
	  | tar --null -T - -cf - | tar -xf - -C $(BUILD)/dist/$(DIST)
	tar -C $(BUILD)/dist --owner=0 --group=0 --sort=name -czf $(DIST).tar.gz $(DIST)
	rm -rf $(BUILD)/dist
	@echo $(DIST).tar.gz

clean:
	rm -rf build

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d $(BUILD)/tools/*.d)
