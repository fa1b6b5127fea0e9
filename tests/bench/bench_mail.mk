# bench_mail.mk: the mail benchmarks of issues 3 and 4 (included by the Makefile).
#   make bench-maildir   issue 3: 10,000 command mails through one `ilnbot once` on
#                        Maildirs, beside the disk's fsynced Maildir delivery rate
#   make bench-maildir-intl  issue 15: the same with 40% of it in other charsets
#   make bench-lab       issue 4: IMAP in, SMTP out and IDLE latency against a private
#                        Dovecot + Postfix (tests/lab); needs root, skipped otherwise
#   make bench-digest    issue 12: a digest to 10,000 and 100,000 subscribers through SMTP
#                        to smtp-sink beside smtp-source; a pass with nothing due on a
#                        store of 100,000 participants beside an empty store
#   make bench-mail      all three
# BENCH_N=1000 runs smaller batches.
BENCH_N ?= 10000

BENCH_DIGEST_SIZES ?= 10000 100000

.PHONY: bench bench-mail bench-maildir bench-maildir-intl bench-lab bench-digest bench-rematch
bench: bench-mail
bench-mail: bench-maildir bench-maildir-intl bench-lab bench-digest bench-rematch bench-names

$(BUILD)/bench/bench_inbound_maildir: tests/bench/bench_inbound_maildir.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $<

bench-maildir: $(BUILD)/ilnbot $(BUILD)/bench/bench_inbound_maildir
	python3 tests/bench/bench_inbound_maildir.py --bin $(BUILD)/ilnbot \
	  --disk $(BUILD)/bench/bench_inbound_maildir --n $(BENCH_N)

# issue 15: the same with 40% of the batch in other languages and charsets
bench-maildir-intl: $(BUILD)/ilnbot $(BUILD)/bench/bench_inbound_maildir
	python3 tests/bench/bench_inbound_maildir.py --bin $(BUILD)/ilnbot \
	  --disk $(BUILD)/bench/bench_inbound_maildir --n $(BENCH_N) --intl 40

bench-lab: $(BUILD)/ilnbot
	tests/bench/bench_lab.sh $(BUILD)/ilnbot $(BENCH_N)

bench-digest: $(BUILD)/ilnbot
	rm -rf $(BUILD)/bench/digest
	python3 tests/bench/bench_digest.py $(BUILD)/ilnbot $(BUILD)/bench/digest $(BENCH_DIGEST_SIZES)

# issue 13: re-matching a waiting pool of 1,000 beside 1,000 and 100,000 active partnerships
bench-rematch: $(BUILD)/ilnbot
	rm -rf $(BUILD)/bench/rematch
	python3 tests/bench/bench_rematch.py $(BUILD)/ilnbot $(BUILD)/bench/rematch

# issue 15: an empty pass that can read every iso-codes translation beside English only
.PHONY: bench-names
bench-names: $(BUILD)/ilnbot
	rm -rf $(BUILD)/bench/names
	python3 tests/bench/bench_names.py $(BUILD)/ilnbot $(BUILD)/bench/names
