/* fuzz_inbound.c: libFuzzer harness for the whole inbound path, as `ilnbot deliver` runs
 * it: the size and depth gate, MIME parsing, loop checks, command recognition, the
 * form, the program rules with an in-memory SQLite store, templates and composition of
 * every reply. The setup loads the configuration of the shipped templates and words; the
 * store is recreated every 500 inputs so memory stays flat. Besides never crashing, every
 * mail an input queues must be safe to send: a header block of CRLF lines of printable
 * ASCII (RFC 2047 for the rest), at most 998 octets each, made only of the fields ilnbot
 * writes, each once, continuation lines folded with white space; envelope and recipients
 * one address each. Mail checked is marked sent, so the next input sees only its own. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "iso_codes.h"
#include "msg.h"
#include "process.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"
#include "words.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* ASan's default 256 MiB quarantine alone would trip -rss_limit_mb=256. */
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=32:detect_leaks=1";
}

/* The fields mail_compose() writes (and the list headers of reply.c). */
static const char *const fields[] = {
	"From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To",
	"References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"Content-Disposition", "Auto-Submitted", "X-Loop", "X-Auto-Response-Suppress",
	"List-Id", "List-Unsubscribe", "List-Help", "Precedence", "Content-Language",
};
#define NFIELDS nitems(fields)

static struct conf conf;
static struct program prog;
static int runs;

static void
fuzz_setup(void)
{
	const char *top = getenv("ILNBOT_TOP");
	char path[4096], err[1024];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/ilnbot-fuzz-%d.conf", (int)getpid());
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "[network]\naddress = iln@example.org\ncoordinators = coord@example.org\n"
		"trusted_authserv_id = mx.example.org\n[program]\ntemplates = %s/templates\n"
		"replies_per_sender_per_day = 100000\n", top ? top : ".");
	fclose(f);
	if (conf_load(path, &conf, err, sizeof(err)) < 0 ||
	    (prog.tmpl = tmpl_load(conf.templates, err, sizeof(err))) == NULL ||
	    iso_codes_load(NULL, err, sizeof(err)) < 0 ||
	    words_load(conf.templates, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz setup: %s (set ILNBOT_TOP to the checkout)\n", err);
		abort();
	}
	remove(path);
	/* the names in every language are read on the first that is not English: now, so
	 * that it never counts against -timeout */
	(void)iso_country_lookup("Deutschland");
	(void)iso_language_lookup("Englisch");
	prog.conf = &conf;
	prog.now = 1772445600;
}

static void
unsafe(const struct outbox_item *o, const char *what, const char *at)
{
	fprintf(stderr, "fuzz_inbound: outbox %s: %s at \"%.80s\"\n%.*s\n", o->key, what,
		at ? at : "", (int)(o->len < 4096 ? o->len : 4096), o->raw);
	abort();
}

/* one address: no white space, control character or ',', one '@' with text around it */
static bool
one_address(const char *a, size_t n)
{
	const char *at = memchr(a, '@', n);

	if (n == 0 || at == NULL || at == a || at == a + n - 1 || memchr(at + 1, '@', n - (size_t)(at - a) - 1))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)a[i] <= ' ' || a[i] == 0x7f || a[i] == ',')
			return false;
	return true;
}

static void
check_mail(const struct outbox_item *o)
{
	const char *p = o->raw, *end = o->raw + o->len, *eol;
	unsigned seen[NFIELDS] = { 0 };
	bool any = false;

	if (o->envelope_from == NULL || (o->envelope_from[0] &&
					 !one_address(o->envelope_from, strlen(o->envelope_from))))
		unsafe(o, "envelope sender", o->envelope_from);
	for (const char *r = o->rcpts, *nl; r && *r; r = nl + 1) {
		nl = strchr(r, '\n');
		if (!one_address(r, nl ? (size_t)(nl - r) : strlen(r)))
			unsafe(o, "recipient", r);
		if (nl == NULL)
			break;
	}
	for (;; p = eol + 2) {
		const char *colon;
		size_t k;

		if ((eol = memmem(p, (size_t)(end - p), "\r\n", 2)) == NULL)
			unsafe(o, "header without CRLF", p);
		if (eol == p)
			break;   /* the blank line before the body */
		if (eol - p > 998)
			unsafe(o, "header line over 998 octets", p);
		for (const char *q = p; q < eol; q++)
			if ((*q < ' ' && *q != '\t') || (unsigned char)*q >= 0x7f)
				unsafe(o, "control or 8-bit byte in the header", q);
		if (*p == ' ' || *p == '\t') {
			if (!any)
				unsafe(o, "continuation first", p);
			continue;
		}
		if ((colon = memchr(p, ':', (size_t)(eol - p))) == NULL)
			unsafe(o, "header line without a field name", p);
		for (k = 0; k < NFIELDS; k++)
			if (strlen(fields[k]) == (size_t)(colon - p) &&
			    strncasecmp(fields[k], p, (size_t)(colon - p)) == 0)
				break;
		if (k == NFIELDS)
			unsafe(o, "a field ilnbot does not write", p);
		if (++seen[k] > 1)
			unsafe(o, "a field twice", p);
		any = true;
	}
	if (!seen[0] || !seen[1] || !seen[4] || !seen[5] || !seen[6])
		unsafe(o, "From, To, Subject, Date or Message-ID missing", o->raw);
	for (const char *q = eol + 2; q < end; q++)
		if (*q == '\r' ? q + 1 == end || q[1] != '\n' : *q == '\n' && (q == o->raw || q[-1] != '\r'))
			unsafe(o, "a bare CR or LF in the body", q);
}

/* every mail queued so far: checked, then marked sent */
static void
check_outbox(void)
{
	struct outbox_item *items = NULL;
	int n = store_outbox_due(prog.st, INT64_MAX / 2, 1000, &items);

	if (n < 0)
		abort();
	for (int i = 0; i < n; i++) {
		check_mail(&items[i]);
		if (store_outbox_sent(prog.st, items[i].id, prog.now) < 0)
			abort();
		outbox_item_clear(&items[i]);
	}
	free(items);
}

/* The setup (loading the ISO code tables, the templates) runs before the first input,
 * so that it never counts against libFuzzer's -timeout for one input. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	bool rejected;

	if (prog.conf == NULL)
		fuzz_setup();
	if (prog.st == NULL || ++runs % 500 == 0) {
		store_close(prog.st);
		if ((prog.st = store_open(":memory:", err, sizeof(err))) == NULL)
			abort();
	}
	if (process_message(&prog, (const char *)data, size, false, &rejected) < 0)
		abort();    /* a store failure in memory is a bug */
	check_outbox();
	return 0;
}
