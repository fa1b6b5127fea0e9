/* msg_parse.c: turn the raw bytes of one inbound message into a struct msg (msg.h):
 * the gate (msg_gate.c) makes a bounded, normalised copy, then the header facts
 * (msg_header.c) and the body (msg_body.c) are read from it. Every string in the
 * returned struct msg is its own allocation; msg_free() frees them all. libetpan's
 * charset conversions go through msg_charset.c (set here, before any parsing).
 * msg_from_utf8_local() reads only the From, through the same gate and rules. */
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

/* Whether a byte outside ASCII comes before the first empty line (the leading ones
 * skipped, CR, LF and CRLF line ends alike): a superset of the header block the gate
 * finds, read without a copy, so that mail with a plain ASCII header costs one scan. */
static bool
header_has_8bit(const char *raw, size_t len)
{
	size_t i = 0;
	bool line_start = true;

	while (i < len && (raw[i] == '\r' || raw[i] == '\n'))
		i++;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c >= 0x80)
			return true;
		if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < len && raw[i + 1] == '\n')
				i++;
			if (line_start)
				return false;
			line_start = true;
		} else {
			line_start = false;
		}
	}
	return false;
}

bool
msg_from_utf8_local(const char *raw, size_t len)
{
	struct msg m;
	struct msg_span sp;
	char *s;
	bool utf8;

	/* a UTF-8 local part is raw 8-bit bytes in the header (no encoding carries one) */
	if (len > MSG_MAX_SIZE || !header_has_8bit(raw, len))
		return false;
	extended_charconv = msg_charset_hook;
	if ((s = msg_gate(raw, len, &sp, NULL, 0)) == NULL)
		return false;
	memset(&m, 0, sizeof(m));
	msg_header_from(&m, s + sp.start, sp.hend);
	utf8 = m.from_utf8 != NULL;
	free(m.from);
	free(m.from_name);
	free(m.from_error);
	free(m.from_utf8);
	free(s);
	return utf8;
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
