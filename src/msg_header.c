/* msg_header.c: the header facts of struct msg (msg.h), from our own unfolding of the
 * top header block: From (one mailbox, its display name decoded) and the To and Cc
 * addresses, parsed by libetpan; the Subject, RFC 2047-decoded; Message-ID, In-Reply-To
 * and References; the RFC 3834 loop-safety facts; the Authentication-Results values.
 * Every string set in struct msg is its own allocation, freed by msg_free(). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <libetpan/libetpan.h>

#include "auth_results.h"
#include "msg.h"
#include "msg_int.h"
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

static void
hdrs_parse(const char *s, size_t hend, struct hdrs *hs)
{
	size_t i = 0, e, nlen;

	memset(hs, 0, sizeof(*hs));
	while (i < hend) {
		e = msg_line_end(s, i, hend);
		if ((s[i] == ' ' || s[i] == '\t') && hs->n > 0) {
			hs->v[hs->n - 1].vlen = e - (size_t)(hs->v[hs->n - 1].val - s);
		} else if (msg_field_line(s + i, e - i, &nlen)) {
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
		i = msg_line_next(e, hend);
	}
}

static const struct hdr *
hdr_first(const struct hdrs *hs, const char *name)
{
	for (size_t i = 0; i < hs->n; i++)
		if (msg_name_is(hs->v[i].name, hs->v[i].nlen, name))
			return &hs->v[i];
	return NULL;
}

static size_t
hdr_count(const struct hdrs *hs, const char *name)
{
	size_t c = 0;

	for (size_t i = 0; i < hs->n; i++)
		if (msg_name_is(hs->v[i].name, hs->v[i].nlen, name))
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

/* RFC 2047 decoding to UTF-8 (libetpan converts each word through msg_charset_hook);
 * raw 8-bit text taken as UTF-8 when valid, else windows-1252. */
static char *
decode_words(const char *s, size_t n)
{
	char *dec = NULL, *out;
	size_t idx = 0;
	const char *from = utf8_valid(s, n) ? "utf-8" : "windows-1252";

	if (mailmime_encoded_phrase_parse(from, s, n, &idx, "utf-8", &dec) != MAILIMF_NO_ERROR ||
	    dec == NULL)
		return utf8_valid(s, n) ? xstrndup(s, n) : utf8_sanitize(s, n);
	out = xstrdup(dec);
	free(dec);
	return out;
}

/* The primary subtag of a language list's first tag, lower-cased ("es" of "es-MX, en");
 * NULL unless 2 or 3 letters. Takes and frees v. */
static char *
lang_first(char *v)
{
	char *out = NULL, *p = v;
	size_t n = 0;

	if (v == NULL)
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z'))
		n++;
	if ((n == 2 || n == 3) && strchr("-,; \t", p[n]) != NULL) {
		out = xstrndup(p, n);
		str_lower(out);
	}
	free(v);
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

/* Whether s has a byte outside ASCII. */
static bool
has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* A usable addr-spec: dot-atom local part, plain domain, printable ASCII only, except
 * that an internationalised domain (U-labels, IDNA2008 by libidn2) is taken in its ASCII
 * form (A-labels, "xn--"), and that a local part may be UTF-8 (RFC 6531; no C1 controls).
 * Returns a copy with the domain lower-cased, or NULL; *utf8_local is set when the local
 * part is UTF-8 (an address only an SMTPUTF8 relay can answer). */
static char *
addr_clean(const char *spec, bool *utf8_local)
{
	const char *at, *p;
	char *out, *ascii = NULL, *joined = NULL;
	size_t n = strlen(spec);

	*utf8_local = false;
	if (n < 3 || n > MSG_MAX_ADDR || (at = strchr(spec, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL || at == spec || at[1] == '\0')
		return NULL;
	if (has_8bit(spec, (size_t)(at - spec))) {
		if (!utf8_valid(spec, (size_t)(at - spec)))
			return NULL;
		*utf8_local = true;
	}
	if (has_8bit(at + 1, strlen(at + 1))) {
		if (!utf8_valid(at + 1, strlen(at + 1)) ||
		    idn2_to_ascii_8z(at + 1, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) !=
		    IDN2_OK)
			return NULL;
		joined = xasprintf("%.*s@%s", (int)(at - spec), spec, ascii);
		idn2_free(ascii);
		if (strlen(joined) > MSG_MAX_ADDR) {
			free(joined);
			return NULL;
		}
		spec = joined;
		n = strlen(spec);
		at = strchr(spec, '@');
	}
	out = NULL;
	for (p = spec; p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-/=?^_`{|}~.", *p) != NULL ||
		    ((unsigned char)*p >= 0x80 &&
		     !((unsigned char)*p == 0xc2 && (unsigned char)p[1] < 0xa0))))
			goto out;
	for (p = at + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			goto out;
	if (spec[0] == '.' || at[-1] == '.' || at[1] == '.' || spec[n - 1] == '.' ||
	    strstr(spec, "..") != NULL)
		goto out;
	out = xstrdup(spec);
	str_lower(out + (at - spec) + 1);
out:
	free(joined);
	return out;
}

/* Rest of the value after libetpan stopped is only whitespace or a comma. */
static bool
parsed_all(const char *v, size_t n, size_t idx)
{
	while ((idx = msg_skip_cfws(v, idx, n)) < n && v[idx] == ',')
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
	bool utf8_local;

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
	if ((m->from = addr_clean(mb->mb_addr_spec, &utf8_local)) == NULL) {
		err = "bad From address";
		goto out;
	}

	if (mb->mb_display_name != NULL) {
		char *dec = decode_words(mb->mb_display_name, strlen(mb->mb_display_name));

		name = utf8_clean_line(dec, strlen(dec), MSG_MAX_NAME);
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
	if (utf8_local) {
		/* answered only through a relay that offers SMTPUTF8 (process.c decides) */
		m->from_utf8 = m->from;
		m->from = NULL;
		err = "UTF-8 local part in From (RFC 6531)";
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
	bool utf8_local;

	if (m->n_rcpts >= MSG_MAX_RCPTS || spec == NULL ||
	    (a = addr_clean(spec, &utf8_local)) == NULL)
		return;
	for (size_t i = 0; i < m->n_rcpts; i++)
		if (strcasecmp(m->rcpts[i], a) == 0) {
			free(a);
			return;
		}
	m->rcpts[m->n_rcpts++] = a;
}

/* The addresses of every header field called name, in order, into m->rcpts. */
static void
rcpts_of(struct msg *m, const struct hdrs *hs, const char *name)
{
	for (size_t i = 0; i < hs->n && m->n_rcpts < MSG_MAX_RCPTS; i++) {
		const struct hdr *h = &hs->v[i];
		struct mailimf_address_list *al = NULL;
		size_t n, idx = 0;
		clistiter *it, *jt;
		char *v;

		if (!msg_name_is(h->name, h->nlen, name))
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

/* To's addresses first, then Cc's: rcpts[0 .. n_to) are To's. */
static void
msg_rcpts(struct msg *m, const struct hdrs *hs)
{
	m->rcpts = xcalloc(MSG_MAX_RCPTS, sizeof(char *));
	rcpts_of(m, hs, "to");
	m->n_to = m->n_rcpts;
	rcpts_of(m, hs, "cc");
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
		m->subject = utf8_clean_line(dec, strlen(dec), MSG_MAX_LINE);
		free(dec);
		free(v);
	} else
		m->subject = xstrdup("");
	m->message_id = id_first(hdr_first(hs, "message-id"), true);
	m->in_reply_to = id_first(hdr_first(hs, "in-reply-to"), false);
	m->references = id_refs(hdr_first(hs, "references"));
	m->date = raw_line(hs, "date", MSG_MAX_LINE);
	if ((m->language = lang_first(raw_line(hs, "content-language", MSG_MAX_LINE))) == NULL)
		m->language = lang_first(raw_line(hs, "accept-language", MSG_MAX_LINE));
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
		else if (msg_name_is(h->name, h->nlen, "received"))
			m->received_count++;
		else if (msg_name_is(h->name, h->nlen, "x-loop")) {
			char *c;

			v = hdr_unfold(h, MSG_MAX_LINE, &n);
			c = clean_ascii(v, n, MSG_MAX_LINE);
			if (loop.len > 0)
				buf_adds(&loop, ", ");
			buf_adds(&loop, c);
			free(c);
			free(v);
			any_loop = true;
		} else if (msg_name_is(h->name, h->nlen, "authentication-results") &&
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

void
msg_header_from(struct msg *m, const char *s, size_t hend)
{
	struct hdrs hs;

	hdrs_parse(s, hend, &hs);
	msg_from(m, &hs);
	free(hs.v);
}

void
msg_header_facts(struct msg *m, const char *s, size_t hend)
{
	struct hdrs hs;
	struct msg_ct ct;
	const struct hdr *h;

	hdrs_parse(s, hend, &hs);
	msg_from(m, &hs);
	msg_headers(m, &hs);
	msg_rcpts(m, &hs);
	if ((h = hdr_first(&hs, "content-type")) != NULL) {
		msg_ct_parse(h->val, h->vlen, &ct);
		m->is_report = ct.kind == MSG_CT_MULTIPART && ct.sublen == 6 &&
		    strncasecmp(ct.sub, "report", 6) == 0;
	}
	free(hs.v);
}
