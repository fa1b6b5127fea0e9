/* msg_parse.c: turn the raw bytes of one inbound message into a struct msg (msg.h).
 * The bytes are first normalised (CRLF line ends, NUL -> space) and gated (size, header
 * block size, MIME depth and part count, comment nesting) so that libetpan only ever
 * sees bounded input. Header facts come from our own unfolding of the top header block;
 * addresses, RFC 2047 words and the MIME tree come from libetpan. Every string in the
 * returned struct msg is its own allocation; msg_free() frees them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "auth_results.h"
#include "msg.h"
#include "util.h"

#define MSG_MAX_LINE      998                  /* bytes kept of a one-line header value */
#define MSG_MAX_RAW_SUBJ  (16u * 1024)         /* raw Subject bytes given to the decoder */
#define MSG_MAX_REFS      30
#define MSG_MAX_ID        250
#define MSG_MAX_ADDR      254
#define MSG_MAX_NAME      256
#define MSG_MAX_RCPTS     100
#define MSG_MAX_AUTHRES   20
#define MSG_MAX_AUTHLEN   AUTH_RESULTS_MAX     /* a value of this length may be cut */
#define MSG_MAX_COMMENT   100                  /* nested '(' in one header field */
#define MSG_MAX_BOUNDARY  256                  /* boundary bytes compared by the gate */
#define MSG_MAX_DECODED   (4u * MSG_MAX_BODY)  /* bytes of a text part charset-converted */
#define MSG_MAX_HTML      (1024u * 1024)       /* bytes of HTML rendered to text */

struct hdr {
	const char *name;
	size_t nlen;
	const char *val;   /* raw, may contain CRLF + WSP folds */
	size_t vlen;
};

struct hdrs {
	struct hdr *v;
	size_t n, size;
};

enum ct_kind { CT_OTHER, CT_MULTIPART, CT_MESSAGE };

struct ct_info {
	enum ct_kind kind;
	const char *sub;       /* subtype token, not NUL-terminated */
	size_t sublen;
	const char *bnd;       /* boundary, not NUL-terminated */
	size_t blen;
};

static void
set_why(char *why, size_t whysz, const char *reason)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", reason);
}

/* Copy with every line end made CRLF and NUL bytes made spaces. */
static char *
msg_normalise(const char *raw, size_t len, size_t *outlen)
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

/* End of the line starting at i (index of its CR, or n). */
static size_t
line_end(const char *s, size_t i, size_t n)
{
	const char *p = memchr(s + i, '\r', n - i);

	return p ? (size_t)(p - s) : n;
}

static size_t
next_line(size_t e, size_t n)
{
	return e + 2 <= n ? e + 2 : n;
}

/* "Name:" with an RFC 5322 field name, optionally followed by WSP before the colon. */
static bool
is_field_line(const char *s, size_t len, size_t *nlen)
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
name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip whitespace and (nested) comments, linearly. */
static size_t
skip_cfws(const char *s, size_t i, size_t n)
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

/* Classify a Content-Type value: type, subtype and boundary. */
static void
ct_parse(const char *s, size_t n, struct ct_info *ct)
{
	size_t i, e;
	bool multi;

	memset(ct, 0, sizeof(*ct));
	i = skip_cfws(s, 0, n);
	e = token_end(s, i, n);
	multi = e - i == 9 && strncasecmp(s + i, "multipart", 9) == 0;
	if (!multi && !(e - i == 7 && strncasecmp(s + i, "message", 7) == 0))
		return;
	i = skip_cfws(s, e, n);
	if (i >= n || s[i] != '/')
		return;
	i = skip_cfws(s, i + 1, n);
	e = token_end(s, i, n);
	ct->sub = s + i;
	ct->sublen = e - i;
	if (!multi) {
		/* message/partial and external-body carry no nested message */
		if (!(ct->sublen == 7 && strncasecmp(ct->sub, "partial", 7) == 0) &&
		    !(ct->sublen == 13 && strncasecmp(ct->sub, "external-body", 13) == 0))
			ct->kind = CT_MESSAGE;
		return;
	}
	ct->kind = CT_MULTIPART;
	i = e;
	while (i < n) {
		size_t ns, ne, vs, ve;

		i = skip_cfws(s, i, n);
		if (i >= n || s[i] != ';') {
			i++;
			continue;
		}
		ns = skip_cfws(s, i + 1, n);
		ne = token_end(s, ns, n);
		i = skip_cfws(s, ne, n);
		if (i >= n || s[i] != '=')
			continue;
		i = skip_cfws(s, i + 1, n);
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
hdr_block_bounds(const char *s, size_t n, size_t *hend, size_t *bstart)
{
	size_t i = 0, e;
	bool any = false;

	while (i < n) {
		e = line_end(s, i, n);
		if (e == i) {
			*hend = i;
			*bstart = next_line(e, n);
			return;
		}
		if (!((s[i] == ' ' || s[i] == '\t') && any) && !is_field_line(s + i, e - i, NULL)) {
			*hend = *bstart = i;
			return;
		}
		any = true;
		i = next_line(e, n);
	}
	*hend = *bstart = n;
}

/* The gate: a linear scan estimating MIME depth and parts, and comment nesting. */
static int
msg_gate(const char *s, size_t n, char *why, size_t whysz)
{
	struct gate_level lv[MSG_MAX_DEPTH + 2];
	size_t depth = 0, ct_lines = 0, dash_lines = 0, i = 0, e, k;
	size_t ct_s = 0, ct_e = 0, hend, bstart;
	bool in_hdr = true, in_ct = false, have_ct = false, in_digest = false;
	int paren = 0;

	hdr_block_bounds(s, n, &hend, &bstart);
	if (hend > MSG_MAX_HEADER) {
		set_why(why, whysz, "header block too large");
		return -1;
	}
	while (i < n) {
		const char *l = s + i;
		size_t len, nlen;
		bool cont;

		e = line_end(s, i, n);
		len = e - i;
		cont = len > 0 && (l[0] == ' ' || l[0] == '\t');
		if (!cont)
			paren = 0;
		for (k = 0; k < len; k++) {
			if (l[k] == '(' && ++paren > MSG_MAX_COMMENT) {
				set_why(why, whysz, "header comments nested too deeply");
				return -1;
			}
			if (l[k] == ')' && paren > 0)
				paren--;
		}
		if (len >= 12 && is_field_line(l, len, &nlen) && name_is(l, nlen, "content-type") &&
		    ++ct_lines > MSG_MAX_PARTS) {
			set_why(why, whysz, "too many MIME parts");
			return -1;
		}
		if (len >= 3 && l[0] == '-' && l[1] == '-' && !is_wsp(l[2]) &&
		    ++dash_lines > 2 * MSG_MAX_PARTS + 2) {
			set_why(why, whysz, "too many MIME parts");
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
				i = next_line(e, n);
				continue;
			}
		}

		if (in_hdr && len > 0 && !cont && !is_field_line(l, len, NULL))
			len = 0;  /* not a header: the header block ends here */
		if (in_hdr && len == 0) {
			struct ct_info ct;

			memset(&ct, 0, sizeof(ct));
			if (have_ct)
				ct_parse(s + ct_s, ct_e - ct_s, &ct);
			else if (in_digest)
				ct.kind = CT_MESSAGE;
			in_hdr = have_ct = in_ct = in_digest = false;
			if (ct.kind != CT_OTHER) {
				if (depth >= MSG_MAX_DEPTH) {
					set_why(why, whysz, "MIME nesting too deep");
					return -1;
				}
				lv[depth].bnd = NULL;
				lv[depth].blen = 0;
				lv[depth].digest = false;
				if (ct.kind == CT_MULTIPART) {
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
				i = next_line(e, n);
				continue;
			}
		}
		if (in_hdr) {
			if (cont && in_ct)
				ct_e = e;
			else if (!cont) {
				in_ct = is_field_line(l, len, &nlen) && name_is(l, nlen, "content-type");
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
		i = next_line(e, n);
	}
	return 0;
}

static void
hdrs_parse(const char *s, size_t hend, struct hdrs *hs)
{
	size_t i = 0, e, nlen;

	memset(hs, 0, sizeof(*hs));
	while (i < hend) {
		e = line_end(s, i, hend);
		if ((s[i] == ' ' || s[i] == '\t') && hs->n > 0) {
			hs->v[hs->n - 1].vlen = e - (size_t)(hs->v[hs->n - 1].val - s);
		} else if (is_field_line(s + i, e - i, &nlen)) {
			struct hdr *h;
			size_t c = i + nlen;

			if (hs->n == hs->size) {
				hs->size = hs->size ? 2 * hs->size : 32;
				hs->v = xrealloc(hs->v, hs->size * sizeof(*hs->v));
			}
			while (s[c] != ':')
				c++;
			h = &hs->v[hs->n++];
			h->name = s + i;
			h->nlen = nlen;
			h->val = s + c + 1;
			h->vlen = e - (c + 1);
		}
		i = next_line(e, hend);
	}
}

static const struct hdr *
hdr_first(const struct hdrs *hs, const char *name)
{
	for (size_t i = 0; i < hs->n; i++)
		if (name_is(hs->v[i].name, hs->v[i].nlen, name))
			return &hs->v[i];
	return NULL;
}

static size_t
hdr_count(const struct hdrs *hs, const char *name)
{
	size_t c = 0;

	for (size_t i = 0; i < hs->n; i++)
		if (name_is(hs->v[i].name, hs->v[i].nlen, name))
			c++;
	return c;
}

/* The value without its folding line breaks, at most cap bytes; caller frees. */
static char *
hdr_unfold(const struct hdr *h, size_t cap, size_t *outlen)
{
	char *out = xmalloc((h->vlen < cap ? h->vlen : cap) + 1);
	size_t i, o = 0;

	for (i = 0; i < h->vlen && o < cap; i++) {
		if (h->val[i] == '\r' || h->val[i] == '\n')
			continue;
		out[o++] = h->val[i];
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

/* One line of printable ASCII: controls folded to one space, 8-bit bytes to '?',
 * trimmed, at most cap bytes. */
static char *
clean_ascii(const char *s, size_t n, size_t cap)
{
	struct buf b;
	bool space = false;

	buf_init(&b, cap);
	for (size_t i = 0; i < n && !b.overflow; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 127) {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_addc(&b, ' ');
		space = false;
		buf_addc(&b, c >= 128 ? '?' : (char)c);
	}
	return buf_steal(&b);
}

/* One line of valid UTF-8: C0/C1 controls and Unicode line separators folded to one
 * space, trimmed, cut to at most cap bytes on a character boundary. */
static char *
clean_utf8(const char *s, size_t n, size_t cap)
{
	char *u = utf8_sanitize(s, n);
	const unsigned char *p = (const unsigned char *)u;
	struct buf b;
	bool space = false;
	size_t i = 0, k;

	buf_init(&b, cap);
	while (p[i] != '\0') {
		bool ws = false;

		k = p[i] < 0x80 ? 1 : p[i] < 0xe0 ? 2 : p[i] < 0xf0 ? 3 : 4;
		if (p[i] <= ' ' || p[i] == 127)
			ws = true;
		else if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0xa0)
			ws = true;  /* C1 controls, NEL and no-break space */
		else if (p[i] == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
			ws = true;  /* U+2028, U+2029 */
		if (ws) {
			space = b.len > 0;
		} else {
			if (space && buf_addc(&b, ' ') < 0)
				break;
			space = false;
			if (buf_add(&b, p + i, k) < 0)
				break;
		}
		i += k;
	}
	free(u);
	if (b.overflow && b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	return buf_steal(&b);
}

/* RFC 2047 decoding to UTF-8; raw 8-bit text taken as UTF-8 when valid, else latin1. */
static char *
decode_words(const char *s, size_t n)
{
	char *dec = NULL, *out;
	size_t idx = 0;
	const char *from = utf8_valid(s, n) ? "utf-8" : "iso-8859-1";

	if (mailmime_encoded_phrase_parse(from, s, n, &idx, "utf-8", &dec) != MAILIMF_NO_ERROR ||
	    dec == NULL)
		return utf8_valid(s, n) ? xstrndup(s, n) : utf8_sanitize(s, n);
	out = xstrdup(dec);
	free(dec);
	return out;
}

static bool
id_clean(const char *s, size_t n)
{
	if (n == 0 || n > MSG_MAX_ID)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 127 || s[i] == '<' ||
		    s[i] == '>')
			return false;
	return true;
}

/* Next clean "<id>" in [*p, end): returns its start (at '<') and length, or NULL. */
static const char *
id_next(const char **p, const char *end, size_t *len)
{
	while (*p < end) {
		const char *lt = memchr(*p, '<', (size_t)(end - *p)), *gt;

		if (lt == NULL)
			break;
		gt = memchr(lt + 1, '>', (size_t)(end - lt - 1));
		if (gt == NULL)
			break;
		*p = gt + 1;
		if (id_clean(lt + 1, (size_t)(gt - lt - 1))) {
			*len = (size_t)(gt - lt + 1);
			return lt;
		}
	}
	*p = end;
	return NULL;
}

static char *
id_first(const struct hdr *h, bool bare_ok)
{
	char *v, *t, *out = NULL;
	const char *p, *id;
	size_t n, len;

	if (h == NULL)
		return NULL;
	v = hdr_unfold(h, MSG_MAX_HEADER, &n);
	p = v;
	if ((id = id_next(&p, v + n, &len)) != NULL)
		out = xstrndup(id, len);
	else if (bare_ok && memchr(v, '<', n) == NULL) {
		t = str_trim(v);
		if (strchr(t, '@') != NULL && id_clean(t, strlen(t)))
			out = xasprintf("<%s>", t);
	}
	free(v);
	return out;
}

/* References: the first id and the last MSG_MAX_REFS - 1, space-separated. */
static char *
id_refs(const struct hdr *h)
{
	const char *ring[MSG_MAX_REFS - 1], *first = NULL, *p, *id;
	size_t rlen[MSG_MAX_REFS - 1], flen = 0, len, count = 0, i;
	struct buf b;
	char *v;

	if (h == NULL)
		return NULL;
	v = hdr_unfold(h, MSG_MAX_HEADER, &len);
	p = v;
	const char *end = v + len;
	while ((id = id_next(&p, end, &len)) != NULL) {
		if (first == NULL) {
			first = id;
			flen = len;
			continue;
		}
		ring[count % (MSG_MAX_REFS - 1)] = id;
		rlen[count % (MSG_MAX_REFS - 1)] = len;
		count++;
	}
	if (first == NULL) {
		free(v);
		return NULL;
	}
	buf_init(&b, 0);
	buf_add(&b, first, flen);
	i = count > MSG_MAX_REFS - 1 ? count - (MSG_MAX_REFS - 1) : 0;
	for (; i < count; i++) {
		buf_addc(&b, ' ');
		buf_add(&b, ring[i % (MSG_MAX_REFS - 1)], rlen[i % (MSG_MAX_REFS - 1)]);
	}
	free(v);
	return buf_steal(&b);
}

/* A usable addr-spec: dot-atom local part, plain domain, printable ASCII only.
 * Returns a copy with the domain lower-cased, or NULL. */
static char *
addr_clean(const char *spec)
{
	const char *at, *p;
	char *out;
	size_t n = strlen(spec);

	if (n < 3 || n > MSG_MAX_ADDR || (at = strchr(spec, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL || at == spec || at[1] == '\0')
		return NULL;
	for (p = spec; p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-/=?^_`{|}~.", *p) != NULL))
			return NULL;
	for (p = at + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return NULL;
	if (spec[0] == '.' || at[-1] == '.' || at[1] == '.' || spec[n - 1] == '.' ||
	    strstr(spec, "..") != NULL)
		return NULL;
	out = xstrdup(spec);
	str_lower(out + (at - spec) + 1);
	return out;
}

/* Rest of the value after libetpan stopped is only whitespace or a comma. */
static bool
parsed_all(const char *v, size_t n, size_t idx)
{
	while ((idx = skip_cfws(v, idx, n)) < n && v[idx] == ',')
		idx++;
	return idx >= n;
}

static void
msg_from(struct msg *m, const struct hdrs *hs)
{
	struct mailimf_address_list *al = NULL;
	struct mailimf_mailbox *mb = NULL;
	const struct hdr *h = hdr_first(hs, "from");
	const char *err = NULL;
	char *v = NULL, *name = NULL;
	size_t n, idx = 0, count = 0;
	clistiter *it;

	if (h == NULL) {
		err = "no From";
		goto out;
	}
	if (hdr_count(hs, "from") > 1) {
		err = "several From headers";
		goto out;
	}
	v = hdr_unfold(h, MSG_MAX_HEADER, &n);
	if (mailimf_address_list_parse(v, n, &idx, &al) != MAILIMF_NO_ERROR ||
	    !parsed_all(v, n, idx)) {
		err = "unparsable From";
		goto out;
	}
	for (it = clist_begin(al->ad_list); it != NULL; it = clist_next(it)) {
		struct mailimf_address *a = clist_content(it);

		if (a->ad_type == MAILIMF_ADDRESS_GROUP) {
			err = "group in From";
			goto out;
		}
		mb = a->ad_data.ad_mailbox;
		count++;
	}
	if (count != 1 || mb == NULL || mb->mb_addr_spec == NULL) {
		err = count > 1 ? "several mailboxes in From" : "no mailbox in From";
		goto out;
	}
	if ((m->from = addr_clean(mb->mb_addr_spec)) == NULL) {
		err = "bad From address";
		goto out;
	}
	if (mb->mb_display_name != NULL) {
		char *dec = decode_words(mb->mb_display_name, strlen(mb->mb_display_name));

		name = clean_utf8(dec, strlen(dec), MSG_MAX_NAME);
		free(dec);
		if ((strchr(name, '@') != NULL || strchr(name, '<') != NULL) &&
		    strcasecmp(name, m->from) != 0) {
			free(m->from);
			m->from = NULL;
			err = "'@' or '<' in the From display name";
			goto out;
		}
		if (name[0] != '\0') {
			m->from_name = name;
			name = NULL;
		}
	}
out:
	if (err != NULL)
		m->from_error = xstrdup(err);
	if (al != NULL)
		mailimf_address_list_free(al);
	free(name);
	free(v);
}

static void
rcpt_add(struct msg *m, const char *spec)
{
	char *a;

	if (m->n_rcpts >= MSG_MAX_RCPTS || spec == NULL || (a = addr_clean(spec)) == NULL)
		return;
	for (size_t i = 0; i < m->n_rcpts; i++)
		if (strcasecmp(m->rcpts[i], a) == 0) {
			free(a);
			return;
		}
	m->rcpts[m->n_rcpts++] = a;
}

static void
msg_rcpts(struct msg *m, const struct hdrs *hs)
{
	m->rcpts = xcalloc(MSG_MAX_RCPTS, sizeof(char *));
	for (size_t i = 0; i < hs->n && m->n_rcpts < MSG_MAX_RCPTS; i++) {
		const struct hdr *h = &hs->v[i];
		struct mailimf_address_list *al = NULL;
		size_t n, idx = 0;
		clistiter *it, *jt;
		char *v;

		if (!name_is(h->name, h->nlen, "to") && !name_is(h->name, h->nlen, "cc"))
			continue;
		v = hdr_unfold(h, MSG_MAX_HEADER, &n);
		if (mailimf_address_list_parse(v, n, &idx, &al) == MAILIMF_NO_ERROR) {
			for (it = clist_begin(al->ad_list); it != NULL; it = clist_next(it)) {
				struct mailimf_address *a = clist_content(it);
				struct mailimf_mailbox_list *ml;

				if (a->ad_type == MAILIMF_ADDRESS_MAILBOX) {
					rcpt_add(m, a->ad_data.ad_mailbox->mb_addr_spec);
					continue;
				}
				if (a->ad_type != MAILIMF_ADDRESS_GROUP ||
				    (ml = a->ad_data.ad_group->grp_mb_list) == NULL)
					continue;
				for (jt = clist_begin(ml->mb_list); jt != NULL; jt = clist_next(jt))
					rcpt_add(m, ((struct mailimf_mailbox *)clist_content(jt))->mb_addr_spec);
			}
			mailimf_address_list_free(al);
		}
		free(v);
	}
}

static char *
raw_line(const struct hdrs *hs, const char *name, size_t cap)
{
	const struct hdr *h = hdr_first(hs, name);
	char *v, *out;
	size_t n;

	if (h == NULL)
		return NULL;
	v = hdr_unfold(h, cap * 4, &n);
	out = clean_ascii(v, n, cap);
	free(v);
	return out;
}

static void
msg_headers(struct msg *m, const struct hdrs *hs)
{
	const struct hdr *h;
	struct buf loop;
	bool any_loop = false;
	size_t i, n;
	char *v;

	if ((h = hdr_first(hs, "subject")) != NULL) {
		char *dec;

		v = hdr_unfold(h, MSG_MAX_RAW_SUBJ, &n);
		dec = decode_words(v, n);
		m->subject = clean_utf8(dec, strlen(dec), MSG_MAX_LINE);
		free(dec);
		free(v);
	} else
		m->subject = xstrdup("");
	m->message_id = id_first(hdr_first(hs, "message-id"), true);
	m->in_reply_to = id_first(hdr_first(hs, "in-reply-to"), false);
	m->references = id_refs(hdr_first(hs, "references"));
	m->date = raw_line(hs, "date", MSG_MAX_LINE);
	m->auto_submitted = raw_line(hs, "auto-submitted", MSG_MAX_LINE);
	m->precedence = raw_line(hs, "precedence", MSG_MAX_LINE);
	if ((m->x_autoreply = raw_line(hs, "x-autoreply", MSG_MAX_LINE)) == NULL)
		m->x_autoreply = raw_line(hs, "x-autorespond", MSG_MAX_LINE);
	if ((m->return_path = raw_line(hs, "return-path", MSG_MAX_LINE)) != NULL) {
		char *p = m->return_path, *q = p;

		for (; *p; p++)
			if (*p != ' ')
				*q++ = *p;
		*q = '\0';
	}

	/* every X-Loop value, so that ours is found among a list's */
	buf_init(&loop, MSG_MAX_LINE);
	m->auth_results = xcalloc(MSG_MAX_AUTHRES, sizeof(char *));
	for (i = 0; i < hs->n; i++) {
		h = &hs->v[i];
		if (h->nlen > 5 && strncasecmp(h->name, "list-", 5) == 0)
			m->has_list_headers = true;
		else if (name_is(h->name, h->nlen, "received"))
			m->received_count++;
		else if (name_is(h->name, h->nlen, "x-loop")) {
			char *c;

			v = hdr_unfold(h, MSG_MAX_LINE, &n);
			c = clean_ascii(v, n, MSG_MAX_LINE);
			if (loop.len > 0)
				buf_adds(&loop, ", ");
			buf_adds(&loop, c);
			free(c);
			free(v);
			any_loop = true;
		} else if (name_is(h->name, h->nlen, "authentication-results") &&
		    m->n_auth_results < MSG_MAX_AUTHRES) {
			/* cut only once cleaned, so that a cut value is one of the full length */
			v = hdr_unfold(h, h->vlen, &n);
			m->auth_results[m->n_auth_results++] = clean_ascii(v, n, MSG_MAX_AUTHLEN);
			free(v);
		}
	}
	if (any_loop)
		m->x_loop = buf_steal(&loop);
	buf_free(&loop);
}

/* Latin-1 to UTF-8, the fallback for unknown charsets. */
static char *
latin1_to_utf8(const char *s, size_t n)
{
	char *out = xmalloc(2 * n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80)
			out[o++] = (char)c;
		else {
			out[o++] = (char)(0xc0 | (c >> 6));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	out[o] = '\0';
	return out;
}

/* Copy of s[0..n) without NUL bytes; *outlen its length. */
static char *
nul_free(const char *s, size_t n, size_t *outlen)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] != '\0')
			out[o++] = s[i];
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Text in charset (NULL: undeclared) as valid UTF-8 without NUL bytes. Undeclared or
 * unknown charsets are taken as UTF-8 when valid, else as latin1. */
static char *
to_utf8(const char *s, size_t n, const char *charset)
{
	char *u = NULL, *t, *out;
	size_t ulen = 0, tlen;
	bool utf = charset == NULL || strcasecmp(charset, "us-ascii") == 0 ||
	    strcasecmp(charset, "utf-8") == 0 || strcasecmp(charset, "utf8") == 0;

	if (!utf && charconv_buffer("utf-8", charset, s, n, &u, &ulen) ==
	    MAIL_CHARCONV_NO_ERROR && u != NULL) {
		t = nul_free(u, ulen, &tlen);
		charconv_buffer_free(u);
		out = utf8_sanitize(t, tlen);
		free(t);
		return out;
	}
	t = nul_free(s, n, &tlen);
	if (utf8_valid(t, tlen))
		return t;
	out = charset == NULL || !utf ? latin1_to_utf8(t, tlen) : utf8_sanitize(t, tlen);
	free(t);
	return out;
}

/* Text for the body: LF line ends, no NUL or control bytes but TAB, at most
 * MSG_MAX_BODY bytes cut on a character boundary. */
static char *
body_clean(const char *s)
{
	struct buf b;
	size_t n = strlen(s), i, keep = 0;

	buf_init(&b, MSG_MAX_BODY);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r') {
			if (s[i + 1] == '\n')
				continue;
			c = '\n';
		}
		if ((c < ' ' && c != '\n' && c != '\t') || c == 127)
			continue;
		if (buf_addc(&b, (char)c) < 0)
			break;
		if (c < 0x80 || c >= 0xc0)
			keep = b.len - 1;  /* start of the last character */
	}
	if (b.overflow && b.len > 0) {
		/* drop a character the cap cut in two */
		size_t k = (unsigned char)b.data[keep] < 0x80 ? 1 :
		    (unsigned char)b.data[keep] < 0xe0 ? 2 :
		    (unsigned char)b.data[keep] < 0xf0 ? 3 : 4;

		if (keep + k > b.len) {
			b.len = keep;
			b.data[keep] = '\0';
		}
	}
	return buf_steal(&b);
}

static bool
part_is_attachment(struct mailmime *mm)
{
	clistiter *it;

	if (mm->mm_mime_fields == NULL)
		return false;
	for (it = clist_begin(mm->mm_mime_fields->fld_list); it != NULL; it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);

		if (f->fld_type == MAILMIME_FIELD_DISPOSITION &&
		    f->fld_data.fld_disposition != NULL &&
		    f->fld_data.fld_disposition->dsp_type != NULL &&
		    f->fld_data.fld_disposition->dsp_type->dsp_type ==
		    MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
			return true;
	}
	return false;
}

/* 1 for text/plain (also no Content-Type), 2 for text/html, 0 otherwise. */
static int
part_text_kind(struct mailmime *mm)
{
	struct mailmime_content *ct = mm->mm_content_type;
	struct mailmime_type *t;

	if (ct == NULL)
		return 1;
	t = ct->ct_type;
	if (t == NULL || t->tp_type != MAILMIME_TYPE_DISCRETE_TYPE ||
	    t->tp_data.tp_discrete_type == NULL ||
	    t->tp_data.tp_discrete_type->dt_type != MAILMIME_DISCRETE_TYPE_TEXT ||
	    ct->ct_subtype == NULL)
		return 0;
	if (strcasecmp(ct->ct_subtype, "plain") == 0)
		return 1;
	if (strcasecmp(ct->ct_subtype, "html") == 0)
		return 2;
	return 0;
}

/* Depth-first: the first text/plain and the first text/html outside attachments
 * and forwarded messages. */
static void
find_text(struct mailmime *mm, int depth, struct mailmime **plain, struct mailmime **html)
{
	clistiter *it;
	int kind;

	if (mm == NULL || depth > 2 * MSG_MAX_DEPTH || *plain != NULL)
		return;
	switch (mm->mm_type) {
	case MAILMIME_SINGLE:
		if (part_is_attachment(mm))
			return;
		kind = part_text_kind(mm);
		if (kind == 1)
			*plain = mm;
		else if (kind == 2 && *html == NULL)
			*html = mm;
		break;
	case MAILMIME_MULTIPLE:
		if (mm->mm_data.mm_multipart.mm_mp_list == NULL)
			return;
		for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it != NULL;
		    it = clist_next(it))
			find_text(clist_content(it), depth + 1, plain, html);
		break;
	default:
		break;
	}
}

/* The decoded, UTF-8 text of a single part; caller frees. */
static char *
part_text(struct mailmime *mm)
{
	struct mailmime_single_fields f;
	struct mailmime_data *d = mm->mm_data.mm_single;
	char *dec = NULL, *out;
	size_t idx = 0, dlen = 0;
	int enc;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT || d->dt_data.dt_text.dt_data == NULL)
		return xstrdup("");
	memset(&f, 0, sizeof(f));
	mailmime_single_fields_init(&f, mm->mm_mime_fields, mm->mm_content_type);
	enc = f.fld_encoding != NULL ? f.fld_encoding->enc_type : MAILMIME_MECHANISM_8BIT;
	if (mailmime_part_parse(d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length, &idx,
	    enc, &dec, &dlen) != MAILIMF_NO_ERROR || dec == NULL) {
		size_t n = d->dt_data.dt_text.dt_length;

		return to_utf8(d->dt_data.dt_text.dt_data,
		    n > MSG_MAX_DECODED ? MSG_MAX_DECODED : n, f.fld_content_charset);
	}
	out = to_utf8(dec, dlen > MSG_MAX_DECODED ? MSG_MAX_DECODED : dlen,
	    f.fld_content_charset);
	mailmime_decoded_part_free(dec);
	return out;
}

static char *
msg_body(const char *s, size_t n, size_t bstart)
{
	struct mailmime *mime = NULL, *plain = NULL, *html = NULL;
	char *text, *clean, *out;
	size_t idx = 0;

	if (mailmime_parse(s, n, &idx, &mime) != MAILIMF_NO_ERROR || mime == NULL) {
		/* libetpan gave up: take what follows the header as plain text */
		size_t len = n - bstart > MSG_MAX_DECODED ? MSG_MAX_DECODED : n - bstart;

		text = to_utf8(s + bstart, len, NULL);
	} else {
		if (mime->mm_type == MAILMIME_MESSAGE)
			find_text(mime->mm_data.mm_message.mm_msg_mime, 0, &plain, &html);
		if (plain != NULL)
			text = part_text(plain);
		else if (html != NULL) {
			char *h = part_text(html);
			size_t hl = strlen(h);

			text = msg_html_to_text(h, hl > MSG_MAX_HTML ? MSG_MAX_HTML : hl);
			free(h);
		} else
			text = xstrdup("");
		mailmime_free(mime);
	}
	clean = body_clean(text);
	free(text);
	out = msg_strip_quotes(clean);
	free(clean);
	return out;
}

/* Where the header starts: after leading blank lines and an mbox "From " line. */
static size_t
msg_start(const char *s, size_t n)
{
	size_t i = 0, e, k;
	bool mbox = false;

	while (i < n) {
		e = line_end(s, i, n);
		for (k = i; k < e && (s[k] == ' ' || s[k] == '\t'); k++)
			;
		if (k == e && e < n) {
			i = next_line(e, n);
			continue;
		}
		if (!mbox && e - i > 5 && memcmp(s + i, "From ", 5) == 0 &&
		    !is_field_line(s + i, e - i, NULL)) {
			mbox = true;
			i = next_line(e, n);
			continue;
		}
		break;
	}
	return i;
}

struct msg *
msg_parse(const char *raw, size_t len, char *why, size_t whysz)
{
	struct msg *m = NULL;
	struct hdrs hs;
	struct ct_info ct;
	const struct hdr *h;
	char *s = NULL;
	size_t n, hend, bstart, start;

	memset(&hs, 0, sizeof(hs));
	set_why(why, whysz, "");
	if (raw == NULL || len == 0) {
		set_why(why, whysz, "empty message");
		goto out;
	}
	if (len > MSG_MAX_SIZE) {
		set_why(why, whysz, "message too large");
		goto out;
	}
	s = msg_normalise(raw, len, &n);
	start = msg_start(s, n);
	if (msg_gate(s + start, n - start, why, whysz) < 0)
		goto out;
	hdr_block_bounds(s + start, n - start, &hend, &bstart);
	if (hend == 0) {
		set_why(why, whysz, "no header");
		goto out;
	}
	hdrs_parse(s + start, hend, &hs);

	m = xcalloc(1, sizeof(*m));
	msg_from(m, &hs);
	msg_headers(m, &hs);
	msg_rcpts(m, &hs);
	if ((h = hdr_first(&hs, "content-type")) != NULL) {
		ct_parse(h->val, h->vlen, &ct);
		m->is_report = ct.kind == CT_MULTIPART && ct.sublen == 6 &&
		    strncasecmp(ct.sub, "report", 6) == 0;
	}
	m->body = msg_body(s + start, n - start, bstart);
out:
	free(hs.v);
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
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
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
