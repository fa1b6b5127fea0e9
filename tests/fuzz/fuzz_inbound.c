/* fuzz_inbound.c: libFuzzer harness for the whole inbound path, as `ilnbot deliver` runs
 * it: the size and depth gate, MIME parsing, loop checks, command recognition, the
 * form, the program rules with an in-memory SQLite store, templates and composition of
 * every reply. The first input loads the configuration of the shipped templates; the
 * store is recreated every 500 inputs so memory stays flat. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "iso_codes.h"
#include "msg.h"
#include "process.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* ASan's default 256 MiB quarantine alone would trip -rss_limit_mb=256. */
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=32:detect_leaks=1";
}

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
	    iso_codes_load(NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz setup: %s (set ILNBOT_TOP to the checkout)\n", err);
		abort();
	}
	remove(path);
	prog.conf = &conf;
	prog.now = 1772445600;
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
	return 0;
}
