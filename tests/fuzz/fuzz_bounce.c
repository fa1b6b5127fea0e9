/* fuzz_bounce.c: libFuzzer harness for the bounce recogniser (msg_bounce.c). The input is
 * an inbound message's raw bytes, read once with a VERP bounce address configured and
 * once without. Besides never crashing, these must hold: every string of struct bounce
 * ends within its buffer; at most BOUNCE_MAX_RCPTS recipients; a token only of
 * [0-9A-Za-z_-], and none when no bounce address is configured; kind NONE reports no
 * recipient and no token; the shape is named for every bounce. The first line of the
 * input also goes through bounce_verp_token. Nothing is allocated. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg_bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BOUNCE_ADDRESS "iln-bounces@example.org"

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_bounce: %s\n", what);
	abort();
}

static void
check_str(const char *s, size_t cap, const char *what)
{
	if (memchr(s, '\0', cap) == NULL)
		fail(what);
}

static void
check_token(const char *tok)
{
	for (const char *t = tok; *t; t++)
		if (!((*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'z') ||
		      (*t >= 'A' && *t <= 'Z') || *t == '_' || *t == '-'))
			fail("a token of other characters");
}

static void
check(const struct bounce *b, enum bounce_kind k, bool verp)
{
	if (k != b->kind)
		fail("the kind returned is not the kind filled in");
	check_str(b->token, sizeof(b->token), "token unterminated");
	check_str(b->message_id, sizeof(b->message_id), "message_id unterminated");
	check_str(b->feedback_type, sizeof(b->feedback_type), "feedback_type unterminated");
	if (b->nrcpts > BOUNCE_MAX_RCPTS)
		fail("too many recipients");
	for (size_t i = 0; i < b->nrcpts; i++) {
		check_str(b->rcpts[i].addr, sizeof(b->rcpts[i].addr), "addr unterminated");
		check_str(b->rcpts[i].original, sizeof(b->rcpts[i].original),
			  "original unterminated");
		check_str(b->rcpts[i].status, sizeof(b->rcpts[i].status), "status unterminated");
	}
	check_token(b->token);
	if (!verp && b->token[0] != '\0')
		fail("a VERP token without a bounce address");
	if (k == BOUNCE_NONE && (b->nrcpts > 0 || b->token[0] != '\0'))
		fail("no bounce, yet recipients or a token");
	if (k != BOUNCE_NONE && b->shape == NULL)
		fail("a bounce without a shape");
	(void)bounce_severity_name(bounce_severity_of(b));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce b;
	enum bounce_kind k;
	char tok[BOUNCE_TOKEN_MAX];
	const char *nl = memchr(data, '\n', size);

	k = msg_bounce_parse((const char *)data, size, BOUNCE_ADDRESS, "example.org", &b);
	check(&b, k, true);
	k = msg_bounce_parse((const char *)data, size, NULL, "example.org", &b);
	check(&b, k, false);
	if (bounce_verp_token((const char *)data, nl ? (size_t)(nl - (const char *)data) : size,
			      BOUNCE_ADDRESS, tok, sizeof(tok))) {
		check_str(tok, sizeof(tok), "verp token unterminated");
		check_token(tok);
	}
	return 0;
}
