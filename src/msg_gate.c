/* msg_gate.c: the gate before libetpan. The raw bytes are copied with every line end
 * made CRLF and NUL bytes made spaces, leading blank lines and an mbox "From " line are
 * skipped, and the copy is held to bounds (size, header block size, MIME depth and part
 * count, comment nesting) by linear scans of our own, so that libetpan only ever sees
 * bounded input. Also the lexical helpers the header reader shares (field lines, comments,
 * Content-Type). msg_gate() returns the copy, which the caller frees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "msg_int.h"
#include "util.h"

#define MSG_MAX_COMMENT   100                  /* nested '(' in one header field */
#define MSG_MAX_BOUNDARY  256                  /* boundary bytes compared by the gate */

void
msg_why(char *why, size_t whysz, const char *reason)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", reason);
}

/* Copy with every line end made CRLF and NUL bytes made spaces. */
static char *
gate_normalise(const char *raw, size_t len, size_t *outlen)
{
	char *out = xmalloc(2 * len + 1);
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char c = raw[i];

		if (c == '\r' || c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			if (c == '\r' && i + 1 < len && raw[i + 1] == '\n')
				i++;
		} else
			out[o++] = c == '\0' ? ' ' : c;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

bool
msg_field_line(const char *s, size_t len, size_t *nlen)
{
	size_t i = 0, k;

	while (i < len && s[i] > ' ' && s[i] < 127 && s[i] != ':')
		i++;
	if (i == 0)
		return false;
	k = i;
	while (k < len && (s[k] == ' ' || s[k] == '\t'))
		k++;
	if (k >= len || s[k] != ':')
		return false;
	if (nlen)
		*nlen = i;
	return true;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t
msg_skip_cfws(const char *s, size_t i, size_t n)
{
	for (;;) {
		while (i < n && is_wsp(s[i]))
			i++;
		if (i < n && s[i] == '(') {
			int d = 0;

			for (; i < n; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				else if (s[i] == '(')
					d++;
				else if (s[i] == ')' && --d == 0) {
					i++;
					break;
				}
			}
			continue;
		}
		return i;
	}
}

static size_t
token_end(const char *s, size_t i, size_t n)
{
	while (i < n && (unsigned char)s[i] > ' ' && s[i] != 127 &&
	    strchr("()<>@,;:\\\"/[]?=", s[i]) == NULL)
		i++;
	return i;
}

void
msg_ct_parse(const char *s, size_t n, struct msg_ct *ct)
{
	size_t i, e;
	bool multi;

	memset(ct, 0, sizeof(*ct));
	i = msg_skip_cfws(s, 0, n);
	e = token_end(s, i, n);
	multi = e - i == 9 && strncasecmp(s + i, "multipart", 9) == 0;
	if (!multi && !(e - i == 7 && strncasecmp(s + i, "message", 7) == 0))
		return;
	i = msg_skip_cfws(s, e, n);
	if (i >= n || s[i] != '/')
		return;
	i = msg_skip_cfws(s, i + 1, n);
	e = token_end(s, i, n);
	ct->sub = s + i;
	ct->sublen = e - i;
	if (!multi) {
		/* message/partial and external-body carry no nested message */
		if (!(ct->sublen == 7 && strncasecmp(ct->sub, "partial", 7) == 0) &&
		    !(ct->sublen == 13 && strncasecmp(ct->sub, "external-body", 13) == 0))
			ct->kind = MSG_CT_MESSAGE;
		return;
	}
	ct->kind = MSG_CT_MULTIPART;
	i = e;
	while (i < n) {
		size_t ns, ne, vs, ve;

		i = msg_skip_cfws(s, i, n);
		if (i >= n || s[i] != ';') {
			i++;
			continue;
		}
		ns = msg_skip_cfws(s, i + 1, n);
		ne = token_end(s, ns, n);
		i = msg_skip_cfws(s, ne, n);
		if (i >= n || s[i] != '=')
			continue;
		i = msg_skip_cfws(s, i + 1, n);
		if (i < n && s[i] == '"') {
			vs = ++i;
			while (i < n && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				i++;
			}
			ve = i < n ? i++ : n;
		} else {
			vs = i;
			ve = i = token_end(s, i, n);
		}
		if (ne - ns == 8 && strncasecmp(s + ns, "boundary", 8) == 0 && ve > vs) {
			ct->bnd = s + vs;
			ct->blen = ve - vs;
			return;
		}
	}
}

struct gate_level {
	const char *bnd;   /* NULL for a message/rfc822 level */
	size_t blen;
	bool digest;
};

/* Offset where the top header block ends (the empty line, or the first line that is
 * neither a field nor a continuation) and where the body starts. */
static void
gate_header_bounds(const char *s, size_t n, size_t *hend, size_t *bstart)
{
	size_t i = 0, e;
	bool any = false;

	while (i < n) {
		e = msg_line_end(s, i, n);
		if (e == i) {
			*hend = i;
			*bstart = msg_line_next(e, n);
			return;
		}
		if (!((s[i] == ' ' || s[i] == '\t') && any) && !msg_field_line(s + i, e - i, NULL)) {
			*hend = *bstart = i;
			return;
		}
		any = true;
		i = msg_line_next(e, n);
	}
	*hend = *bstart = n;
}

/* The scan: a linear pass estimating MIME depth and parts, and comment nesting. */
static int
gate_scan(const char *s, size_t n, char *why, size_t whysz)
{
	struct gate_level lv[MSG_MAX_DEPTH + 2];
	size_t depth = 0, ct_lines = 0, dash_lines = 0, i = 0, e, k;
	size_t ct_s = 0, ct_e = 0;
	bool in_hdr = true, in_ct = false, have_ct = false, in_digest = false;
	int paren = 0;

	while (i < n) {
		const char *l = s + i;
		size_t len, nlen;
		bool cont;

		e = msg_line_end(s, i, n);
		len = e - i;
		cont = len > 0 && (l[0] == ' ' || l[0] == '\t');
		if (!cont)
			paren = 0;
		for (k = 0; k < len; k++) {
			if (l[k] == '(' && ++paren > MSG_MAX_COMMENT) {
				msg_why(why, whysz, "header comments nested too deeply");
				return -1;
			}
			if (l[k] == ')' && paren > 0)
				paren--;
		}
		if (len >= 12 && msg_field_line(l, len, &nlen) && msg_name_is(l, nlen, "content-type") &&
		    ++ct_lines > MSG_MAX_PARTS) {
			msg_why(why, whysz, "too many MIME parts");
			return -1;
		}
		if (len >= 3 && l[0] == '-' && l[1] == '-' && !is_wsp(l[2]) &&
		    ++dash_lines > 2 * MSG_MAX_PARTS + 2) {
			msg_why(why, whysz, "too many MIME parts");
			return -1;
		}

		/* a boundary delimiter closes every level opened inside its multipart */
		if (len >= 2 && l[0] == '-' && l[1] == '-') {
			bool delim = false;

			for (k = depth; k-- > 0 && !delim;) {
				size_t bl = lv[k].blen;

				if (lv[k].bnd == NULL || len - 2 < bl ||
				    memcmp(l + 2, lv[k].bnd, bl) != 0)
					continue;
				depth = k + 1;
				if (len - 2 - bl >= 2 && l[2 + bl] == '-' && l[3 + bl] == '-') {
					depth = k;
					in_hdr = false;
				} else {
					in_hdr = true;
					in_digest = lv[k].digest;
				}
				have_ct = in_ct = false;
				delim = true;
			}
			if (delim) {
				i = msg_line_next(e, n);
				continue;
			}
		}

		if (in_hdr && len > 0 && !cont && !msg_field_line(l, len, NULL))
			len = 0;  /* not a header: the header block ends here */
		if (in_hdr && len == 0) {
			struct msg_ct ct;

			memset(&ct, 0, sizeof(ct));
			if (have_ct)
				msg_ct_parse(s + ct_s, ct_e - ct_s, &ct);
			else if (in_digest)
				ct.kind = MSG_CT_MESSAGE;
			in_hdr = have_ct = in_ct = in_digest = false;
			if (ct.kind != MSG_CT_OTHER) {
				if (depth >= MSG_MAX_DEPTH) {
					msg_why(why, whysz, "MIME nesting too deep");
					return -1;
				}
				lv[depth].bnd = NULL;
				lv[depth].blen = 0;
				lv[depth].digest = false;
				if (ct.kind == MSG_CT_MULTIPART) {
					lv[depth].bnd = ct.bnd;
					lv[depth].blen = ct.blen > MSG_MAX_BOUNDARY ?
					    MSG_MAX_BOUNDARY : ct.blen;
					lv[depth].digest = ct.sublen == 6 &&
					    strncasecmp(ct.sub, "digest", 6) == 0;
				} else
					in_hdr = true;  /* the embedded message's header */
				depth++;
			}
			if (e == i) {
				i = msg_line_next(e, n);
				continue;
			}
		}
		if (in_hdr) {
			if (cont && in_ct)
				ct_e = e;
			else if (!cont) {
				in_ct = msg_field_line(l, len, &nlen) && msg_name_is(l, nlen, "content-type");
				if (in_ct) {
					ct_s = i + nlen;
					while (s[ct_s] != ':')
						ct_s++;
					ct_s++;
					ct_e = e;
					have_ct = true;
				}
			}
		}
		i = msg_line_next(e, n);
	}
	return 0;
}

/* Where the header starts: after leading blank lines and an mbox "From " line. */
static size_t
gate_start(const char *s, size_t n)
{
	size_t i = 0, e, k;
	bool mbox = false;

	while (i < n) {
		e = msg_line_end(s, i, n);
		for (k = i; k < e && (s[k] == ' ' || s[k] == '\t'); k++)
			;
		if (k == e && e < n) {
			i = msg_line_next(e, n);
			continue;
		}
		if (!mbox && e - i > 5 && memcmp(s + i, "From ", 5) == 0 &&
		    !msg_field_line(s + i, e - i, NULL)) {
			mbox = true;
			i = msg_line_next(e, n);
			continue;
		}
		break;
	}
	return i;
}

char *
msg_gate(const char *raw, size_t len, struct msg_span *sp, char *why, size_t whysz)
{
	char *s = NULL;
	size_t n;

	memset(sp, 0, sizeof(*sp));
	msg_why(why, whysz, "");
	if (raw == NULL || len == 0) {
		msg_why(why, whysz, "empty message");
		goto fail;
	}
	if (len > MSG_MAX_SIZE) {
		msg_why(why, whysz, "message too large");
		goto fail;
	}
	s = gate_normalise(raw, len, &n);
	sp->start = gate_start(s, n);
	sp->len = n - sp->start;
	gate_header_bounds(s + sp->start, sp->len, &sp->hend, &sp->bstart);
	if (sp->hend > MSG_MAX_HEADER) {
		msg_why(why, whysz, "header block too large");
		goto fail;
	}
	if (gate_scan(s + sp->start, sp->len, why, whysz) < 0)
		goto fail;
	if (sp->hend == 0) {
		msg_why(why, whysz, "no header");
		goto fail;
	}
	return s;
fail:
	free(s);
	return NULL;
}
