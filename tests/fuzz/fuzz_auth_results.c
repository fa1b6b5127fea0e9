/* fuzz_auth_results.c: libFuzzer harness for auth_results_pass(). The input is split at
 * '\n': the first line is the From address, the next ones (at most 8) are
 * Authentication-Results values, topmost first, read for the trusted id mx.example.org.
 * Besides never crashing, two properties must hold: the answer is the same twice, and
 * once a field of ours (or one without a readable authserv-id) has decided, a forged
 * passing field of ours appended below never changes it. Every value is the harness's
 * own copy, freed before it returns. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_results.h"
#include "util.h"

#define FUZZ_FIELDS 8
#define TRUSTED     "mx.example.org"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* as fuzz_inbound: a smaller quarantine keeps the run under -rss_limit_mb */
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=32:detect_leaks=1";
}

static char forged[] = TRUSTED "; dkim=pass header.d=example.org; dmarc=pass "
		       "header.from=example.org";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *from = NULL, *v[FUZZ_FIELDS + 1];
	const char *p = (const char *)data, *end = p + size, *why1, *why2, *why3;
	size_t n = 0;
	bool a, b, c;

	while (p <= end && n < FUZZ_FIELDS) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (from == NULL)
			from = xstrndup(p, len);
		else
			v[n++] = xstrndup(p, len);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (from == NULL)
		from = xstrdup("");
	a = auth_results_pass(v, n, TRUSTED, from, &why1);
	b = auth_results_pass(v, n, TRUSTED, from, &why2);
	if (a != b || why1 != why2 || why1 == NULL)
		abort();
	if (strcmp(why1, "no Authentication-Results from our own server") != 0) {
		v[n] = forged;
		c = auth_results_pass(v, n + 1, TRUSTED, from, &why3);
		if (c != a || why3 != why1)
			abort();
	}
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(from);
	return 0;
}
