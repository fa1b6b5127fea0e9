/* msg_parse.c: turn the raw bytes of one inbound message into a struct msg (msg.h):
 * the gate (msg_gate.c) makes a bounded, normalised copy, then the header facts
 * (msg_header.c) and the body (msg_body.c) are read from it. Every string in the
 * returned struct msg is its own allocation; msg_free() frees them all. libetpan's
 * charset conversions go through msg_charset.c (set here, before any parsing). */
#include <stdlib.h>

#include <libetpan/libetpan.h>

#include "msg.h"
#include "msg_int.h"
#include "util.h"

struct msg *
msg_parse(const char *raw, size_t len, char *why, size_t whysz)
{
	struct msg *m = NULL;
	struct msg_span sp;
	char *s;

	extended_charconv = msg_charset_hook;
	if ((s = msg_gate(raw, len, &sp, why, whysz)) == NULL)
		goto out;
	m = xcalloc(1, sizeof(*m));
	msg_header_facts(m, s + sp.start, sp.hend);
	m->body = msg_body_extract(s + sp.start, sp.len, sp.bstart);
out:
	free(s);
	return m;
}

void
msg_free(struct msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->from);
	free(m->from_name);
	free(m->from_error);
	free(m->from_utf8);
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
	free(m->language);
	free(m->references);
	free(m->date);
	free(m->body);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->return_path);
	free(m->x_loop);
	free(m->x_autoreply);
	for (i = 0; i < m->n_auth_results; i++)
		free(m->auth_results[i]);
	free(m->auth_results);
	for (i = 0; i < m->n_rcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	free(m);
}
